// Bad input at the transport layer: fd values that are not descriptors, closed Fds, a second start(),
// and listen() on a path taken by something that is not a socket. Each fails its own call with a coded
// error and sends nothing; the transport stays usable.
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fd, FdClosedError, InvalidFdError, MAX_FD, checkFds, fdNumber, type FdLike } from '../../src/transport/fd.js';
import { memoryTransportPair, type MemoryTransport } from '../../src/transport/memory-transport.js';
import { nativeAddon } from '../../src/transport/native.js';
import { TransportStateError } from '../../src/transport/system-error.js';
import type { Transport } from '../../src/transport/transport.js';
import { listen } from '../../src/transport/unix-listener.js';
import { socketPair, UnixSocket } from '../../src/transport/unix-socket.js';
import { Collector } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-bad-input');
});
afterAll(() => tmp.remove());
expectNoFdLeaks({ timeoutMs: 2000 });

/** An open fd on a fresh file; the test closes it. */
function fileFd(text = 'payload'): Fd {
  const path = tmp.path(`f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return new Fd(openSync(path, 'r'));
}

function closedFd(): Fd {
  const fd = fileFd();
  fd.close();
  return fd;
}

/**
 * Values a typed array or `fd.value` would once have turned into fds 0 or 1 (stdin, stdout) or a
 * TypeError without a code; each must be refused before anything is sent.
 */
const NOT_FDS: ReadonlyArray<readonly [string, unknown]> = [
  ['a fraction (1.5)', 1.5],
  ['a number past int32 (2**32+1)', 2 ** 32 + 1],
  ['2**31', 2 ** 31],
  ['a negative number', -5],
  ['NaN', Number.NaN],
  ['a numeric string', '2'],
  ['a string', 'abc'],
  ['true', true],
  ['null', null],
  ['a plain object', { value: 3 }],
  ['a bigint', 3n],
];

describe('fdNumber and Fd check what stands for a descriptor', () => {
  it.each(NOT_FDS)('fdNumber refuses %s with ERR_INVALID_FD', (_label, value) => {
    const error = (() => {
      try {
        fdNumber(value as FdLike);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidFdError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_FD', message: expect.stringMatching(/^not a file descriptor: /) });
  });

  it('fdNumber accepts 0 and 2**31-1 as numbers, and an open Fd as its value', () => {
    expect(fdNumber(0)).toBe(0);
    expect(fdNumber(MAX_FD)).toBe(2 ** 31 - 1);
    const fd = fileFd();
    expect(fdNumber(fd)).toBe(fd.value);
    fd.close();
  });

  it('a closed or taken Fd fails value, take and fdNumber with ERR_FD_CLOSED', () => {
    const fd = closedFd();
    expect(() => fd.value).toThrow(FdClosedError);
    expect(() => fd.take()).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
    expect(() => fdNumber(fd)).toThrow(expect.objectContaining({ code: 'ERR_FD_CLOSED' }));
    // A closed Fd cannot be sent either, so callers that catch InvalidFdError see it too.
    expect(() => fdNumber(fd)).toThrow(InvalidFdError);

    const taken = fileFd();
    const n = taken.take();
    expect(() => taken.value).toThrow(FdClosedError);
    new Fd(n).close();
  });

  it('new Fd refuses a number that is not a descriptor, with ERR_INVALID_FD', () => {
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN, '3']) {
      expect(() => new Fd(bad as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_FD' }));
    }
  });

  it('checkFds reports the first bad entry of a list and refuses a non-array', () => {
    const fd = fileFd();
    expect(() => checkFds([fd, 0, 'x' as unknown as number])).toThrow(/not a file descriptor: "x"/);
    expect(() => checkFds(null as unknown as FdLike[])).toThrow(InvalidFdError);
    expect(() => checkFds([fd, 1])).not.toThrow();
    fd.close();
  });
});

interface Link {
  readonly name: string;
  readonly sender: Transport;
  readonly receiver: Collector;
  close(): Promise<void>;
}

function unixLink(): Link {
  const [a, b] = socketPair();
  const receiver = new Collector();
  b.start(receiver);
  a.start(new Collector());
  return {
    name: 'UnixSocket',
    sender: a,
    receiver,
    close: async () => {
      a.destroy();
      b.destroy();
      await Promise.all([(a as UnixSocket).whenClosed, (b as UnixSocket).whenClosed]);
    },
  };
}

function memoryLink(): Link {
  const [a, b] = memoryTransportPair();
  const receiver = new Collector();
  b.start(receiver);
  a.start(new Collector());
  return {
    name: 'MemoryTransport',
    sender: a,
    receiver,
    close: async () => {
      (a as MemoryTransport).destroy();
      (b as MemoryTransport).destroy();
    },
  };
}

describe.each([
  ['UnixSocket', unixLink],
  ['MemoryTransport', memoryLink],
] as const)('%s.write with a bad fd', (_name, makeLink) => {
  it.each([...NOT_FDS, ['a closed Fd', 'closed'] as const])(
    'fails only that write on %s, and sends neither bytes nor fds',
    async (_label, value) => {
      const link = makeLink();
      const bad = value === 'closed' ? closedFd() : value;
      const good = fileFd('kept');
      // One good fd in front of the bad one: the whole write must fail, not just its tail.
      const error = await link.sender.write(Buffer.from('BAD'), [good, bad as FdLike], { filler: 0x20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFdError);
      expect((error as InvalidFdError).code).toBe(value === 'closed' ? 'ERR_FD_CLOSED' : 'ERR_INVALID_FD');
      // The same transport still writes, and the next write's bytes are the first that arrive.
      await link.sender.write(Buffer.from('ok'), [good]);
      await link.receiver.until(() => link.receiver.byteLength >= 2);
      expect(link.receiver.bytes.toString()).toBe('ok');
      expect(link.receiver.fds).toHaveLength(1);
      expect(readFileSync(`/proc/self/fd/${link.receiver.fds[0]!.value}`, 'utf8')).toBe('kept');
      // The borrowed good fd is still the caller's: a failed write does not close it.
      expect(good.closed).toBe(false);
      Fd.closeAll(link.receiver.fds);
      good.close();
      await link.close();
    },
  );
});

/** Write arguments a JavaScript caller may pass that cannot be sent as they are. */
const NOT_BYTES: ReadonlyArray<readonly [string, unknown]> = [
  ['a string', 'hello'],
  ['an array of numbers', [104, 105]],
  ['a Uint16Array', new Uint16Array([1, 2])],
  ['null', null],
];

describe.each([
  ['UnixSocket', unixLink],
  ['MemoryTransport', memoryLink],
] as const)('%s.write with bad bytes or a non-array fds', (_name, makeLink) => {
  it.each(NOT_BYTES)('bytes that are %s fail only that write with ERR_INVALID_WRITE', async (_label, value) => {
    const link = makeLink();
    const error = await Promise.resolve()
      .then(() => link.sender.write(value as Uint8Array))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidWriteError', code: 'ERR_INVALID_WRITE' });
    expect(link.sender.closed).toBe(false);
    await link.sender.write(Buffer.from('ok'));
    await link.receiver.until(() => link.receiver.byteLength >= 2);
    expect(link.receiver.bytes.toString()).toBe('ok');
    await link.close();
  });

  it('a single Fd passed instead of an array is refused, not sent as a write without fds', async () => {
    const link = makeLink();
    const fd = fileFd('single');
    const error = await link.sender.write(Buffer.from('x'), fd as unknown as FdLike[]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFdError);
    expect((error as InvalidFdError).code).toBe('ERR_INVALID_FD');
    await link.sender.write(Buffer.from('ok'), [fd]);
    await link.receiver.until(() => link.receiver.byteLength >= 2);
    // Nothing of the refused write arrived: the first byte is the next write's, with its fd.
    expect(link.receiver.bytes.toString()).toBe('ok');
    expect(link.receiver.fds).toHaveLength(1);
    Fd.closeAll(link.receiver.fds);
    fd.close();
    await link.close();
  });
});

describe('UnixSocket.fromFd and listen({ fd }) with a value that is not a descriptor', () => {
  it.each([
    ['a fraction next to a socket fd', (fd: number) => fd + 0.5],
    ['a numeric string', (fd: number) => String(fd)],
    ['null', () => null],
  ])('refuses %s with ERR_INVALID_FD instead of adopting a truncated number', (_label, make) => {
    const native = nativeAddon();
    const [x, y] = native.socketpair();
    expect(() => UnixSocket.fromFd(make(x) as number)).toThrow(expect.objectContaining({ name: 'InvalidFdError', code: 'ERR_INVALID_FD' }));
    // x was not adopted: it is still ours to close (closing it twice would throw EBADF).
    native.close(x);
    native.close(y);
  });

  it('listen({ fd }) refuses a fraction next to a listening fd instead of adopting it', () => {
    const native = nativeAddon();
    const l = native.socket();
    native.bind(l, `@fdpass-bad-listen-fd-${process.pid}`);
    native.listen(l, 1);
    return expect(listen({ fd: l + 0.5 }))
      .rejects.toMatchObject({ name: 'InvalidFdError', code: 'ERR_INVALID_FD' })
      .finally(() => native.close(l));
  });
});

describe('start() twice', () => {
  it('UnixSocket throws TransportStateError with ERR_TRANSPORT_STATE', async () => {
    const [a, b] = socketPair();
    a.start(new Collector());
    expect(() => a.start(new Collector())).toThrow(TransportStateError);
    expect(() => a.start(new Collector())).toThrow(expect.objectContaining({ code: 'ERR_TRANSPORT_STATE' }));
    a.destroy();
    b.destroy();
    await Promise.all([a.whenClosed, b.whenClosed]);
  });

  it('MemoryTransport throws TransportStateError with ERR_TRANSPORT_STATE', () => {
    const [a, b] = memoryTransportPair();
    a.start(new Collector());
    expect(() => a.start(new Collector())).toThrow(expect.objectContaining({ name: 'TransportStateError', code: 'ERR_TRANSPORT_STATE' }));
    a.destroy();
    b.destroy();
  });
});

describe('listen() on a path that is not a socket', () => {
  it.each([
    ['a regular file', (path: string) => writeFileSync(path, 'data'), /exists and is not a socket but a regular file/],
    ['a directory', (path: string) => mkdirSync(path), /exists and is not a socket but a directory/],
  ] as const)('refuses %s, says what is there, and leaves it in place', async (_label, make, message) => {
    const path = tmp.path(`taken-${Math.random().toString(36).slice(2)}`);
    make(path);
    const error = await listen(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path);
    expect(existsSync(path)).toBe(true);
  });
});
