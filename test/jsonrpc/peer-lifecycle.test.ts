import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { ErrorCodes } from '../../src/jsonrpc/error-codes.js';
import { JsonRpcPeer, type PeerOptions } from '../../src/jsonrpc/peer.js';
import { RequestTimeoutError } from '../../src/jsonrpc/request-timeout-error.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { textFd } from '../support/fd-files.js';
import { peerAndRaw, peerPair, RawEnd } from './peer-pair.js';

const cleanup: Array<() => void> = [];
expectNoFdLeaks({ cleanup: () => cleanup.splice(0).forEach((step) => step()) });

function pair(serverOptions?: PeerOptions): [JsonRpcPeer, JsonRpcPeer] {
  const p = peerPair(serverOptions);
  cleanup.push(() => p.forEach((peer) => peer.destroy()));
  return p;
}

/** A handler that answers (with one fd) only when released. */
function gated(server: JsonRpcPeer, method: string): { release(): void; started: Promise<void> } {
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  server.handle(method, async () => {
    started();
    await gate;
    return withFds('late', [textFd('late fd')]);
  });
  return { release, started: startedPromise };
}

describe('cancellation', () => {
  it('rejects with the abort reason and closes the fd of the late response', async () => {
    const [client, server] = pair();
    server.handle('ping', () => 'pong');
    const slow = gated(server, 'slow');
    const controller = new AbortController();
    const call = client.request('slow', [], { signal: controller.signal });
    await slow.started;
    const reason = new Error('user gave up');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(client.pendingRequests).toBe(0);
    slow.release();
    // Responses arrive in order: once ping is answered the late response was seen and dropped.
    expect((await client.request('ping')).result).toBe('pong');
  });

  it('rejects with RequestTimeoutError after timeoutMs and drops the late response', async () => {
    const [client, server] = pair();
    server.handle('ping', () => 'pong');
    const slow = gated(server, 'slow');
    const started = Date.now();
    const error = await client.request('slow', [], { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    slow.release();
    expect((await client.request('ping')).result).toBe('pong');
  });

  it('does not send a request whose signal is already aborted', async () => {
    const [client, server] = pair();
    let called = false;
    server.handle('never', () => {
      called = true;
    });
    await expect(client.request('never', [], { signal: AbortSignal.abort() })).rejects.toBeDefined();
    server.handle('ping', () => 'pong');
    await client.request('ping');
    expect(called).toBe(false);
  });
});

describe('connection death', () => {
  it('rejects pending requests with ConnectionClosedError carrying the fatal -32050 cause', async () => {
    const [peer, end] = peerAndRaw();
    cleanup.push(() => {
      peer.destroy();
      end.channel.destroy();
    });
    const call = peer.request('x');
    await end.waitFor(1);
    await end.transport.write(Buffer.from('garbage'));
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as ConnectionClosedError).cause).toMatchObject({ code: ErrorCodes.FdError });
    expect(await peer.whenClosed).toMatchObject({ code: -32050 });
    // The channel told the other side why before closing.
    await end.waitClosed();
    expect(end.received.at(-1)?.value).toMatchObject({ id: null, error: { code: -32050 } });
  });

  it('rejects pending requests when the other side goes away, and refuses new ones', async () => {
    const [client, server] = pair();
    gated(server, 'slow');
    const call = client.request('slow');
    await sleep(5);
    server.destroy();
    await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
    await client.whenClosed;
    expect(client.closed).toBe(true);
    await expect(client.request('again')).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(client.notify('again')).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('rejects a request or notification written after the other side closed (EPIPE) with ConnectionClosedError', async () => {
    for (const send of [(p: JsonRpcPeer) => p.request('x'), (p: JsonRpcPeer) => p.notify('x')]) {
      const [a, b] = socketPair();
      const peer = new JsonRpcPeer(a);
      // Closed before this side read the EOF: the write is the first to learn of it.
      b.destroy();
      await b.whenClosed;
      const error = await send(peer).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      await peer.whenClosed;
      expect(peer.closed).toBe(true);
    }
  });

  it('aborts the handler signal when the connection dies and closes its fds when it settles', async () => {
    const [client, server] = pair();
    const aborted = new Promise<unknown>((resolve) => {
      server.handle('wait', (_params, ctx) => {
        return new Promise((settle) => {
          ctx.signal.addEventListener(
            'abort',
            () => {
              resolve(ctx.signal.reason);
              settle(null);
            },
            { once: true },
          );
        });
      });
    });
    const sent = textFd('held');
    const call = client.request('wait', [], { fds: [sent] }).catch(() => undefined);
    await sleep(5);
    client.destroy();
    sent.close();
    expect(await aborted).toBeInstanceOf(ConnectionClosedError);
    await call;
  });

  it('calls onClose listeners once with the close error', async () => {
    const [client, server] = pair();
    const seen: Array<Error | undefined> = [];
    client.onClose((error) => seen.push(error));
    server.destroy();
    await client.whenClosed;
    expect(seen).toEqual([undefined]);
  });
});

describe('graceful close', () => {
  it('answers in-flight calls, refuses new ones, then closes', async () => {
    const [client, server] = pair();
    const slow = gated(server, 'slow');
    const inFlight = client.request('slow');
    await slow.started;
    const closing = server.close();
    let closed = false;
    void closing.then(() => (closed = true));
    const refused = await client.request('slow').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCodes.InternalError });
    expect(closed).toBe(false);
    slow.release();
    const response = await inFlight;
    expect(response.result).toBe('late');
    response.fds.forEach((fd) => fd.close());
    await closing;
    expect(server.closed).toBe(true);
    await client.whenClosed;
  });

  it('still answers a client that half-closed after its last request, then closes', async () => {
    const [peer, end] = peerAndRaw();
    cleanup.push(() => {
      peer.destroy();
      end.channel.destroy();
    });
    peer.handle('later', async () => {
      await sleep(10);
      return 'answered';
    });
    await end.write('{"jsonrpc":"2.0","method":"later","id":1}');
    await end.transport.end();
    const [reply] = await end.waitFor(1);
    expect(reply!.value).toMatchObject({ id: 1, result: 'answered' });
    expect(await peer.whenClosed).toBeUndefined();
  });

  it('destroys when the close signal aborts', async () => {
    const [client, server] = pair();
    gated(server, 'slow');
    const call = client.request('slow');
    await sleep(5);
    await server.close({ signal: AbortSignal.timeout(20) });
    expect(server.closed).toBe(true);
    await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('closes with await using', async () => {
    const [client, server] = pair();
    server.handle('ping', () => 'pong');
    {
      await using scoped = client;
      expect((await scoped.request('ping')).result).toBe('pong');
    }
    expect(client.closed).toBe(true);
  });
});

describe('backpressure', () => {
  it('runs at most maxConcurrentRequests handlers at once and still answers every call', async () => {
    const [client, server] = pair({ maxConcurrentRequests: 3 });
    let running = 0;
    let peak = 0;
    server.handle('work', async (params) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(2);
      running--;
      return params;
    });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => client.request('work', [i])));
    expect(results.map((r) => (r.result as number[])[0])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(peak).toBe(3);
  });

  it('stops reading requests while replies back up past the high-water mark, and answers all later', async () => {
    const [a, b] = socketPair();
    const server = new JsonRpcPeer(a, { highWaterMark: 64 * 1024 });
    const end = new RawEnd(b);
    cleanup.push(() => {
      server.destroy();
      end.channel.destroy();
    });
    let handled = 0;
    server.handle('big', (params) => {
      handled++;
      return (params as { pad: string }).pad;
    });
    end.transport.pause();
    const total = 400;
    const pad = 'x'.repeat(8 * 1024);
    const writes = Array.from({ length: total }, (_, i) =>
      end.write(JSON.stringify({ jsonrpc: '2.0', method: 'big', params: { pad }, id: i })),
    );
    await sleep(200);
    const stalledAt = handled;
    await sleep(100);
    expect(handled).toBe(stalledAt);
    expect(stalledAt).toBeLessThan(total / 2);
    end.transport.resume();
    await end.waitFor(total);
    await Promise.all(writes);
    expect(end.received.map((m) => m.value['id'])).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});
