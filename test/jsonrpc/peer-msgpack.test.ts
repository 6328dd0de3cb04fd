import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack-codec.js';
import { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText, inode, textFd } from '../support/fd-files.js';

const peers: JsonRpcPeer[] = [];
expectNoFdLeaks({ cleanup: () => peers.splice(0).forEach((peer) => peer.destroy()) });

/** Two peers speaking msgpack over a real Unix socketpair (the kernel cuts reads and batches fds). */
function msgpackPeers(): [JsonRpcPeer, JsonRpcPeer] {
  const [a, b] = socketPair();
  const pair: [JsonRpcPeer, JsonRpcPeer] = [new JsonRpcPeer(a, { codec: msgpackCodec() }), new JsonRpcPeer(b, { codec: msgpackCodec() })];
  peers.push(...pair);
  return pair;
}

describe('JsonRpcPeer with the msgpack codec over a socketpair', () => {
  it('sends a request with fds and gets a response with fds', async () => {
    const [client, server] = msgpackPeers();
    server.handle('swap', (params, ctx) => {
      const texts = ctx.fds.map((fd) => fdText(fd));
      return withFds({ got: texts, bin: (params as { bin: Uint8Array }).bin.length }, texts.map((t) => textFd(t.toUpperCase())));
    });
    using one = textFd('one');
    using two = textFd('two');
    const response = await client.request('swap', { bin: Buffer.alloc(100_000, 0xc1) }, { fds: [one, two] });
    expect(response.result).toEqual({ got: ['one', 'two'], bin: 100_000 });
    expect(response.fds.map((fd) => fdText(fd))).toEqual(['ONE', 'TWO']);
    Fd.closeAll(response.fds);
    await client.close();
    await server.whenClosed;
  });

  it('carries 600 fds in one response across several sendmsg calls with 0xc1 continuations', async () => {
    const [client, server] = msgpackPeers();
    using file = textFd('same');
    server.handle('many', () => withFds('ok', Array.from({ length: 600 }, () => file), { close: false }));
    const first = await client.request('many');
    const second = await client.request('many'); // the next message still gets exactly its own fds
    expect([first.fds.length, second.fds.length]).toEqual([600, 600]);
    expect(new Set(first.fds.map(inode))).toEqual(new Set([inode(file)]));
    Fd.closeAll(first.fds);
    Fd.closeAll(second.fds);
    await client.close();
  });

  it('answers errors and unknown methods in msgpack', async () => {
    const [client, server] = msgpackPeers();
    server.handle('fail', () => {
      throw new JsonRpcError(-32001, 'nope', { n: 2n ** 60n });
    });
    const err = (await client.request('fail').catch((e: unknown) => e)) as JsonRpcError;
    expect(err).toBeInstanceOf(JsonRpcError);
    expect([err.code, err.message, err.data]).toEqual([-32001, 'nope', { n: 2n ** 60n }]);
    await expect(client.request('missing')).rejects.toMatchObject({ code: -32601 });
    await client.close();
  });
});
