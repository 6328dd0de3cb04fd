import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/jsonrpc/error-codes.js';
import { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { textFd } from '../support/fd-files.js';
import { peerAndRaw, peerPair, type RawEnd } from './peer-pair.js';

const cleanup: Array<() => void> = [];
expectNoFdLeaks({ cleanup: () => cleanup.splice(0).forEach((step) => step()) });

function pair(): [JsonRpcPeer, JsonRpcPeer] {
  const p = peerPair();
  cleanup.push(() => p.forEach((peer) => peer.destroy()));
  return p;
}

function raw(): [JsonRpcPeer, RawEnd] {
  const [peer, end] = peerAndRaw();
  cleanup.push(() => {
    peer.destroy();
    end.channel.destroy();
  });
  peer.handle('ping', () => 'pong');
  peer.handle('nothing', () => null);
  peer.handle('boom', () => {
    throw new Error('boom');
  });
  return [peer, end];
}

describe('error responses through the peer API', () => {
  it('rejects a call to an unknown method with -32601', async () => {
    const [client] = pair();
    const error = await client.request('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JsonRpcError);
    expect(error).toMatchObject({ code: ErrorCodes.MethodNotFound });
  });

  it('passes a thrown JsonRpcError through with its code, message and data', async () => {
    const [client, server] = pair();
    server.handle('strict', () => {
      throw new JsonRpcError(ErrorCodes.InvalidParams, 'need a name', { field: 'name' });
    });
    await expect(client.request('strict', {})).rejects.toMatchObject({
      code: -32602,
      message: 'need a name',
      data: { field: 'name' },
    });
  });

  it('answers other throws with -32603 and only the error message', async () => {
    const [, end] = raw();
    await end.write('{"jsonrpc":"2.0","method":"boom","id":1}');
    const [reply] = await end.waitFor(1);
    expect(reply!.value).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'boom' } });
  });
});

describe('what goes on the wire', () => {
  it('sends "result": null for a null result', async () => {
    const [, end] = raw();
    await end.write('{"jsonrpc":"2.0","method":"nothing","id":"n"}');
    const [reply] = await end.waitFor(1);
    expect(reply!.value).toEqual({ jsonrpc: '2.0', id: 'n', result: null });
    expect('result' in reply!.value).toBe(true);
  });

  it('never answers notifications, not for unknown methods nor failing handlers', async () => {
    const [, end] = raw();
    await end.write('{"jsonrpc":"2.0","method":"missing"}{"jsonrpc":"2.0","method":"boom","params":[]}');
    await end.write('{"jsonrpc":"2.0","method":"ping","id":9}');
    const [reply] = await end.waitFor(1);
    expect(reply!.value).toMatchObject({ id: 9, result: 'pong' });
    // One more round trip: anything sent for the notifications would have arrived by now.
    await end.write('{"jsonrpc":"2.0","method":"ping","id":10}');
    await end.waitFor(2);
    expect(end.received.map((m) => m.value['id'])).toEqual([9, 10]);
  });

  it.each([
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","method":"ping","id":3}', 3],
    ['a missing jsonrpc member', '{"method":"ping","id":4}', 4],
    ['a non-string method', '{"jsonrpc":"2.0","method":5,"id":5}', 5],
    ['string params', '{"jsonrpc":"2.0","method":"ping","params":"x","id":6}', 6],
    ['an object id', '{"jsonrpc":"2.0","method":"ping","id":{"a":1}}', null],
    ['a non-string method without id', '{"jsonrpc":"2.0","method":1,"params":"bar"}', null],
    ['neither request nor response', '{"jsonrpc":"2.0","id":7}', 7],
  ])('answers %s with -32600', async (_name, text, id) => {
    const [, end] = raw();
    await end.write(text);
    const [reply] = await end.waitFor(1);
    expect(reply!.value).toMatchObject({ jsonrpc: '2.0', id, error: { code: ErrorCodes.InvalidRequest } });
    expect('result' in reply!.value).toBe(false);
  });

  it('rejects a batch array with one -32600 (id null) and carries on; an fd sent with it does not leak', async () => {
    const [, end] = raw();
    const fd = textFd('batched');
    await end.write(
      '[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"ping","id":2}]',
      [fd],
    );
    fd.close();
    await end.write('{"jsonrpc":"2.0","method":"ping","id":3}');
    const messages = await end.waitFor(2);
    expect(messages[0]!.value).toMatchObject({ id: null, error: { code: -32600 } });
    expect(messages[1]!.value).toMatchObject({ id: 3, result: 'pong' });
    expect(messages).toHaveLength(2);
  });

  it('closes the fds of an invalid request and of an unknown method call', async () => {
    const [, end] = raw();
    const a = textFd('a');
    const b = textFd('b');
    await end.write('{"jsonrpc":"2.0","method":7,"id":1,"fds":1}', [a]);
    await end.write('{"jsonrpc":"2.0","method":"missing","id":2,"fds":1}', [b]);
    a.close();
    b.close();
    const messages = await end.waitFor(2);
    expect(messages.map((m) => (m.value['error'] as { code: number }).code)).toEqual([-32600, -32601]);
  });
});

describe('responses', () => {
  it('ignores a response with an unknown id and closes its fds', async () => {
    const [peer, end] = raw();
    const fd = textFd('stray');
    await end.write('{"jsonrpc":"2.0","id":999,"result":1,"fds":1}', [fd]);
    fd.close();
    await end.write('{"jsonrpc":"2.0","method":"ping","id":1}');
    await end.waitFor(1);
    expect(peer.closed).toBe(false);
    expect(end.received).toHaveLength(1);
  });

  it('rejects a request whose response has both result and error, and closes error-response fds', async () => {
    const [peer, end] = raw();
    const first = peer.request('x').catch((e: unknown) => e);
    const second = peer.request('y').catch((e: unknown) => e);
    const [a, b] = await end.waitFor(2);
    await end.write(`{"jsonrpc":"2.0","id":${JSON.stringify(a!.value['id'])},"result":1,"error":{"code":1,"message":"m"}}`);
    const fd = textFd('with error');
    await end.write(
      `{"jsonrpc":"2.0","id":${JSON.stringify(b!.value['id'])},"error":{"code":-32000,"message":"no","data":[1]},"fds":1}`,
      [fd],
    );
    fd.close();
    expect(await first).toMatchObject({ code: ErrorCodes.InternalError });
    expect(await second).toBeInstanceOf(JsonRpcError);
    expect(await second).toMatchObject({ code: -32000, message: 'no', data: [1] });
  });

  it('answers -32603 when the result cannot be encoded as JSON', async () => {
    const [client, server] = pair();
    server.handle('bigint', () => 1n);
    await expect(client.request('bigint')).rejects.toMatchObject({ code: ErrorCodes.InternalError });
  });
});
