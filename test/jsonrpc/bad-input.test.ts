// Bad input through the peer API: fds that are not descriptors (from a handler's withFds or a caller's
// request/notify), a method that is not a string, an unusable timeout. Each fails only its own call,
// sends nothing it should not, and leaves the connection, the process and a graceful close working.
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/jsonrpc/error-codes.js';
import { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { WithFds, withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd, FdClosedError, InvalidFdError, type FdLike } from '../../src/transport/fd.js';
import { nativeAddon } from '../../src/transport/native.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { textFd } from '../support/fd-files.js';
import { peerPair } from './peer-pair.js';

const cleanup: Array<() => void> = [];
expectNoFdLeaks({ cleanup: () => cleanup.splice(0).forEach((step) => step()), timeoutMs: 2000 });

// The audit's crash was an unhandled rejection from the response write's promise chain: count them.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await sleep(20);
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

beforeAll(() => nativeAddon());

/** Client and server over a real socket pair: a coerced fd would really send our stdin or stdout. */
function socketPeers(): [JsonRpcPeer, JsonRpcPeer] {
  const [a, b] = socketPair();
  const client = new JsonRpcPeer(a);
  const server = new JsonRpcPeer(b);
  cleanup.push(() => {
    client.destroy();
    server.destroy();
  });
  return [client, server];
}

/** An fd on a small, already unlinked file. */
function fileFd(): Fd {
  return textFd('payload');
}

function closedFd(): Fd {
  const fd = fileFd();
  fd.close();
  return fd;
}

/** Settles within `ms` or reports that it hung (a leaked handler slot makes a graceful close hang). */
function within<T>(promise: Promise<T>, ms = 2000): Promise<T | 'hung'> {
  return Promise.race([promise, sleep(ms).then(() => 'hung' as const)]);
}

const BAD_HANDLER_FDS: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
  ['-5', () => -5, /not a file descriptor: -5/],
  ["'abc'", () => 'abc', /not a file descriptor: "abc"/],
  ['1.5', () => 1.5, /not a file descriptor: 1\.5/],
  ['a closed Fd', closedFd, /closed or was taken/],
];

describe('a handler that returns withFds with a bad fd', () => {
  it.each(BAD_HANDLER_FDS)(
    'with %s: the client gets -32603, the connection keeps serving, and a graceful close resolves',
    async (_label, makeBad, message) => {
      const [client, server] = socketPeers();
      server.handle('bad', () => withFds('x', [makeBad() as FdLike]));
      server.handle('echo', (params) => params);

      const error = await client.request('bad', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JsonRpcError);
      expect(error).toMatchObject({ code: ErrorCodes.InternalError, message: expect.stringMatching(message) });

      // Same connection, next call: the handler slot was released and nothing was desynchronised.
      await expect(client.request('echo', [2])).resolves.toEqual({ result: [2], fds: [] });
      expect(server.closed).toBe(false);
      expect(client.closed).toBe(false);

      expect(await within(client.close())).toBeUndefined();
      expect(await within(server.close())).toBeUndefined();
    },
  );

  it('an async handler gets the same -32603, and a notification handler fails silently', async () => {
    const [client, server] = socketPeers();
    let notified = 0;
    server.handle('later', async () => {
      await sleep(1);
      return withFds('x', [-5]);
    });
    server.handle('note', () => {
      notified++;
      return withFds(null, ['abc' as unknown as number]);
    });
    await client.notify('note');
    await expect(client.request('later')).rejects.toMatchObject({ code: ErrorCodes.InternalError, message: 'not a file descriptor: -5' });
    expect(notified).toBe(1);
    expect(await within(server.close())).toBeUndefined();
    expect(await within(client.whenClosed)).toBeUndefined();
  });

  it('closes the valid fds it was handed along with the bad one (the library owned them)', async () => {
    const [client, server] = socketPeers();
    const good = fileFd();
    server.handle('mixed', () => withFds('x', [good, -5]));
    await expect(client.request('mixed')).rejects.toMatchObject({ code: ErrorCodes.InternalError });
    expect(good.closed).toBe(true);
    await client.close();
  });

  it('leaves them open with close: false (only borrowed)', () => {
    const good = fileFd();
    expect(() => withFds('x', [good, -5], { close: false })).toThrow(InvalidFdError);
    expect(good.closed).toBe(false);
    good.close();
  });

  it('an Fd closed after withFds but before the write: -32603 "could not be sent", and the slot is released', async () => {
    const [client, server] = socketPeers();
    let returned: WithFds<string> | undefined;
    server.handle('closesEarly', async () => {
      const fd = fileFd();
      returned = withFds('x', [fd]);
      fd.close();
      return returned;
    });
    await expect(client.request('closesEarly')).rejects.toMatchObject({
      code: ErrorCodes.InternalError,
      message: 'response could not be sent: fd is closed or was taken',
    });
    await expect(returned!.sent).resolves.toBe(false);
    expect(await within(server.close())).toBeUndefined();
  });

  it('over the in-memory transport as well', async () => {
    const [client, server] = peerPair();
    cleanup.push(() => [client, server].forEach((p) => p.destroy()));
    server.handle('bad', () => withFds('x', [-5]));
    await expect(client.request('bad')).rejects.toMatchObject({ code: ErrorCodes.InternalError });
    expect(await within(server.close())).toBeUndefined();
  });
});

describe('WithFds', () => {
  it('throws InvalidFdError / FdClosedError from the constructor', () => {
    expect(() => new WithFds(1, [2 ** 32 + 1])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FD' }));
    expect(() => new WithFds(1, [closedFd()])).toThrow(FdClosedError);
    expect(() => new WithFds(1, null as unknown as number[])).toThrow(InvalidFdError);
  });

  it('settle() does not throw when an owned Fd was closed meanwhile, and resolves sent', async () => {
    const fd = fileFd();
    const w = withFds('x', [fd]);
    fd.close();
    expect(() => w.settle(false)).not.toThrow();
    await expect(w.sent).resolves.toBe(false);
  });
});

const BAD_REQUEST_FDS: ReadonlyArray<readonly [string, () => unknown]> = [
  ['1.5', () => 1.5],
  ['2**32+1', () => 2 ** 32 + 1],
  ["'2'", () => '2'],
  ['true', () => true],
  ['null', () => null],
  ['-1', () => -1],
  ['a closed Fd', closedFd],
];

describe('request and notify with a bad fd', () => {
  it.each(BAD_REQUEST_FDS)('request with %s rejects with a coded error and sends nothing', async (_label, makeBad) => {
    const [client, server] = socketPeers();
    const seen: string[][] = [];
    server.handle('what', (_params, ctx) => {
      seen.push(ctx.fds.map((fd) => readlinkSync(`/proc/self/fd/${fd.value}`)));
      return null;
    });
    const good = fileFd();
    const error = await client.request('what', {}, { fds: [good, makeBad() as FdLike] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFdError);
    expect((error as InvalidFdError).code).toMatch(/^ERR_(INVALID_FD|FD_CLOSED)$/);
    expect(client.pendingRequests).toBe(0);
    // Borrowed fds stay the caller's.
    expect(good.closed).toBe(false);

    // The next request is the first the server sees: the bad one never reached the wire.
    await client.request('what', {}, { fds: [good] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(1);
    expect(seen[0]![0]).not.toBe(readlinkSync('/proc/self/fd/0'));
    good.close();
    await client.close();
  });

  it.each(BAD_REQUEST_FDS)('notify with %s rejects with a coded error and sends nothing', async (_label, makeBad) => {
    const [client, server] = socketPeers();
    const seen: number[] = [];
    server.handle('note', (params) => void seen.push((params as number[])[0]!));
    await expect(client.notify('note', [1], { fds: [makeBad() as FdLike] })).rejects.toBeInstanceOf(InvalidFdError);
    await client.notify('note', [2]);
    await client.request('sync').catch(() => undefined);
    expect(seen).toEqual([2]);
    await client.close();
  });
});

describe('peer options', () => {
  it.each(['highWaterMark', 'maxConcurrentRequests', 'maxQueuedRequests'])(
    '%s that is NaN or a string throws ERR_OUT_OF_RANGE instead of switching the limit off',
    (name) => {
      const [a, b] = socketPair();
      cleanup.push(() => {
        a.destroy();
        b.destroy();
      });
      for (const value of [Number.NaN, '10']) {
        expect(() => new JsonRpcPeer(a, { [name]: value })).toThrow(
          expect.objectContaining({ name: 'ArgumentRangeError', code: 'ERR_OUT_OF_RANGE' }),
        );
      }
    },
  );

  it('handlers and fallback that are not functions throw ERR_INVALID_ARG_TYPE', () => {
    const [a, b] = socketPair();
    cleanup.push(() => {
      a.destroy();
      b.destroy();
    });
    expect(() => new JsonRpcPeer(a, { handlers: { m: 5 as unknown as () => null } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => new JsonRpcPeer(a, { fallback: 'x' as unknown as () => null })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    const peer = new JsonRpcPeer(a);
    expect(() => peer.setFallback(5 as unknown as () => null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    peer.destroy();
  });
});

describe('request and notify check method and timeout locally', () => {
  it.each([
    ['a number', 5],
    ['null', null],
    ['a descriptor whose name is not a string', { name: 5 }],
  ])('a method that is %s is a TypeError, and nothing is sent', async (_label, method) => {
    const [client, server] = socketPeers();
    let calls = 0;
    server.setFallback(() => {
      calls++;
      return null;
    });
    await expect(client.request(method as unknown as string)).rejects.toThrow(TypeError);
    await expect(client.notify(method as unknown as string)).rejects.toThrow(TypeError);
    await expect(client.request(method as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await client.request('real');
    expect(calls).toBe(1);
    await client.close();
  });

  it('params that are a number or null are refused with ERR_INVALID_ARG_TYPE, and nothing is sent', async () => {
    const [client, server] = socketPeers();
    let calls = 0;
    server.handle('m', () => ++calls);
    for (const params of [5, null, 'text']) {
      await expect(client.request('m', params as unknown as [])).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    await expect(client.request('m')).resolves.toMatchObject({ result: 1 });
    await client.close();
  });

  it('handle() refuses a method that is not a string and a handler that is not a function, when registering', async () => {
    const [client, server] = socketPeers();
    expect(() => server.handle(5 as unknown as string, () => null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => server.handle(null as unknown as string, () => null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => server.handle('m', undefined as unknown as () => null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // Nothing was registered: the call is an unknown method, not a -32603 from calling undefined.
    await expect(client.request('m')).rejects.toMatchObject({ code: -32601 });
    await client.close();
  });

  it.each([
    ['-1', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['past setTimeout (2**31)', 2 ** 31],
    ['a string', '100'],
  ])('timeoutMs %s is a RangeError, and nothing is sent', async (_label, timeoutMs) => {
    const [client, server] = socketPeers();
    let calls = 0;
    server.handle('m', () => ++calls);
    await expect(client.request('m', [], { timeoutMs: timeoutMs as number })).rejects.toThrow(RangeError);
    await expect(client.request('m', [], { timeoutMs: timeoutMs as number })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(client.pendingRequests).toBe(0);
    await expect(client.request('m')).resolves.toMatchObject({ result: 1 });
    await client.close();
  });

  it('timeoutMs 0 means no timeout: a slow answer still arrives', async () => {
    const [client, server] = socketPeers();
    server.handle('slow', async () => {
      await sleep(30);
      return 'done';
    });
    await expect(client.request('slow', [], { timeoutMs: 0 })).resolves.toMatchObject({ result: 'done' });
    await client.close();
  });
});
