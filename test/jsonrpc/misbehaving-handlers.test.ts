// Handlers that misbehave: hostile thenables (a `then` that throws, a `then` getter that throws, a
// thenable that settles more than once), failures that cannot be inspected, received fds returned as
// numbers. Each call must get exactly one answer, its fds must be closed, and the connection (and its
// concurrency accounting) must stay usable.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Handler } from '../../src/jsonrpc/handler.js';
import type { PeerOptions } from '../../src/jsonrpc/peer.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText, inode, textFd } from '../support/fd-files.js';
import { peerAndRaw, peerPair, type RawEnd } from './peer-pair.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';

const cleanup: Array<() => void> = [];
expectNoFdLeaks({ cleanup: () => cleanup.splice(0).forEach((step) => step()) });

function raw(handlers: Record<string, Handler>, options: PeerOptions = {}): RawEnd {
  const [peer, end] = peerAndRaw({ handlers: { ping: () => 'pong', ...handlers }, ...options });
  cleanup.push(() => {
    peer.destroy();
    end.channel.destroy();
  });
  return end;
}

describe('a handler returning a hostile thenable', () => {
  it('a then() that throws is answered with -32603; the fds are closed and the connection carries on', async () => {
    const end = raw({
      bad: () => ({
        then(): void {
          throw new Error('then exploded');
        },
      }),
    });
    const fd = textFd('x');
    await end.write('{"jsonrpc":"2.0","method":"bad","id":1,"fds":1}', [fd]);
    fd.close();
    await end.write('{"jsonrpc":"2.0","method":"ping","id":2}');
    const replies = await end.waitFor(2);
    expect(replies.map((r) => r.value)).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'then exploded' } },
      { jsonrpc: '2.0', id: 2, result: 'pong' },
    ]);
    expect(end.closed).toBe(false);
  });

  it('a then getter that throws is answered with -32603 and the connection carries on', async () => {
    const end = raw({
      bad: () =>
        Object.defineProperty({}, 'then', {
          get(): never {
            throw new Error('no then for you');
          },
        }),
    });
    await end.write('{"jsonrpc":"2.0","method":"bad","id":1}');
    await end.write('{"jsonrpc":"2.0","method":"ping","id":2}');
    const replies = await end.waitFor(2);
    expect(replies.map((r) => r.value)).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'no then for you' } },
      { jsonrpc: '2.0', id: 2, result: 'pong' },
    ]);
  });

  it('a thenable that settles three times gets one answer and frees its slot only once', async () => {
    let running = 0;
    let most = 0;
    const end = raw(
      {
        twice: () => ({
          then(resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
            resolve('first');
            resolve('second');
            reject(new Error('third'));
          },
        }),
        slow: async () => {
          running++;
          most = Math.max(most, running);
          await sleep(20);
          running--;
          return 'done';
        },
      },
      { maxConcurrentRequests: 1 },
    );
    await end.write('{"jsonrpc":"2.0","method":"twice","id":1}');
    await end.write('{"jsonrpc":"2.0","method":"slow","id":2}{"jsonrpc":"2.0","method":"slow","id":3}');
    const replies = await end.waitFor(3);
    await sleep(20); // a second answer to id 1 would have arrived by now
    expect(replies.map((r) => r.value)).toEqual([
      { jsonrpc: '2.0', id: 1, result: 'first' },
      { jsonrpc: '2.0', id: 2, result: 'done' },
      { jsonrpc: '2.0', id: 3, result: 'done' },
    ]);
    expect(most).toBe(1);
  });
});

/** An Error whose `message` getter throws, as a lazily formatted error of some library might. */
function errorWithThrowingMessage(): Error {
  return Object.defineProperty(new Error(), 'message', {
    get(): never {
      throw new Error('message getter exploded');
    },
  });
}

/** A revoked proxy: `instanceof` on it throws a TypeError. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('a handler failing with a value that cannot be inspected', () => {
  it.each([
    ['throws an Error whose message getter throws', () => {
      throw errorWithThrowingMessage();
    }],
    ['rejects with an Error whose message getter throws', () => Promise.reject(errorWithThrowingMessage())],
    ['throws a revoked proxy', () => {
      throw revokedProxy();
    }],
    ['rejects with a revoked proxy', () => Promise.reject(revokedProxy())],
  ] as const)('%s: answered with -32603, fds closed, connection usable', async (_label, handler) => {
    const end = raw({ bad: handler as Handler });
    const fd = textFd('x');
    await end.write('{"jsonrpc":"2.0","method":"bad","id":1,"fds":1}', [fd]);
    fd.close();
    await end.write('{"jsonrpc":"2.0","method":"ping","id":2}');
    const replies = await end.waitFor(2);
    expect(replies[0]!.value).toMatchObject({ id: 1, error: { code: -32603 } });
    expect(replies[1]!.value).toEqual({ jsonrpc: '2.0', id: 2, result: 'pong' });
    expect(end.closed).toBe(false);
  });
});

describe('a handler returning the numbers of the fds it received', () => {
  it('withFds(ctx.fds.map(fd => fd.value)) sends those fds, not closed or reused numbers', async () => {
    const [client, server] = peerPair();
    cleanup.push(() => {
      client.destroy();
      server.destroy();
    });
    server.handle('echoNumbers', (_params, ctx) => withFds(null, ctx.fds.map((fd) => fd.value)));
    const sent = [textFd('one'), textFd('two')];
    const { fds } = await client.request('echoNumbers', [], { fds: sent });
    expect(fds.map(fdText)).toEqual(['one', 'two']);
    expect(fds.map(inode)).toEqual(sent.map(inode));
    Fd.closeAll(fds);
    Fd.closeAll(sent);
  });
});
