import { closeSync, openSync, readFileSync, readlinkSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { nativeAddon } from '../../src/transport/native.js';
import { TransportClosedError } from '../../src/transport/system-error.js';
import { InvalidWriteError, socketPair, UnixSocket } from '../../src/transport/unix-socket.js';
import { Collector, isCloexec } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-transport');
});
afterAll(() => tmp.remove());
expectNoFdLeaks({ timeoutMs: 2000 });

function fileWith(content: string): number {
  const path = join(tmp.dir, `f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content);
  return openSync(path, 'r');
}

function readFd(fd: Fd): string {
  const buf = Buffer.alloc(256);
  const n = readSync(fd.value, buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString();
}

async function closeBoth(a: UnixSocket, b: UnixSocket): Promise<void> {
  a.destroy();
  b.destroy();
  await Promise.all([a.whenClosed, b.whenClosed]);
}

describe('socketPair', () => {
  it('sends a long burst in slices instead of holding all of it to the end', async () => {
    const [a, b] = socketPair();
    let received = '';
    b.start({ data: (bytes) => void (received += bytes.toString()), end() {}, error() {}, close() {} });
    const writes = Array.from({ length: 20 }, (_, i) => a.write(Buffer.from(String.fromCharCode(0x61 + i))));
    // The first went at once, then the 16th queued write sent the queue: 3 of 20 still wait.
    expect(a.writableLength).toBe(3);
    await Promise.all(writes);
    expect(a.writableLength).toBe(0);
    await new Promise<void>((resolve) => {
      const poll = (): void => void (received.length === 20 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    expect(received).toBe('abcdefghijklmnopqrst');
    await closeBoth(a, b);
  });

  it('gathers fd-less writes of one burst into one sendmsg, but an fd-carrying write (and its continuations) goes alone, in order', async () => {
    const f = fileWith('g');
    const [a, b] = socketPair({ maxFdsPerSend: 2 });
    const reads: Array<[string, number]> = [];
    let received = '';
    b.start({
      data: (bytes, fds) => {
        reads.push([bytes.toString(), fds.length]);
        received += bytes.toString();
        Fd.closeAll(fds);
      },
      end() {},
      error() {},
      close() {},
    });
    // All in one tick: the first goes out at once, the rest queue until the burst ends.
    const writes = [
      a.write(Buffer.from('A')),
      a.write(Buffer.from('B')),
      a.write(Buffer.from('C')),
      a.write(Buffer.from('D'), [f, f, f, f, f], { filler: 0x20 }),
      a.write(Buffer.from('E')),
      a.write(Buffer.from('F')),
    ];
    expect(a.writableLength).toBe(5); // B…F wait for the end of the burst
    await Promise.all(writes);
    await new Promise<void>((resolve) => {
      const poll = (): void => void (received.length === 8 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    closeSync(f);
    expect(received).toBe('ABCD  EF');
    // "B" and "C" left in one sendmsg; the fds rode "D" (one recvmsg never spans two fd-carrying
    // sendmsg calls), then two continuation batches of one space each, then "EF".
    const withFds = reads.filter(([, n]) => n > 0);
    expect(withFds.map(([text, n]) => [text.at(-1), n])).toEqual([
      ['D', 2],
      [' ', 2],
      [' ', 1],
    ]);
    expect(reads.at(-1)?.[0].endsWith('EF')).toBe(true);
    await closeBoth(a, b);
  });

  it('carries bytes both ways', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    const cb = new Collector();
    a.start(ca);
    b.start(cb);
    await a.write(Buffer.from('ping'));
    await b.write(Buffer.from('pong'));
    await cb.until(() => cb.byteLength === 4);
    await ca.until(() => ca.byteLength === 4);
    expect(cb.bytes.toString()).toBe('ping');
    expect(ca.bytes.toString()).toBe('pong');
    await closeBoth(a, b);
    expect(ca.log.at(-1)).toBe('close');
    expect(ca.closedCount).toBe(1);
  });

  it('carries fds both ways, readable, close-on-exec, attached to the first byte', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    const cb = new Collector();
    a.start(ca);
    b.start(cb);
    const f1 = fileWith('one');
    const f2 = fileWith('two');
    await a.write(Buffer.from('{"x":1}'), [f1, new Fd(f2)]);
    await cb.until(() => cb.fds.length === 2);
    expect(cb.events[0]?.fds.length).toBe(2);
    const [r1, r2] = cb.fds as [Fd, Fd];
    expect(readFd(r1)).toBe('one');
    expect(readFd(r2)).toBe('two');
    expect(isCloexec(r1.value)).toBe(true);
    expect(isCloexec(r2.value)).toBe(true);
    // And back, passing a received fd on.
    await b.write(Buffer.from('back'), [r2]);
    await ca.until(() => ca.fds.length === 1);
    expect(readFd(ca.fds[0] as Fd)).toBe('two');
    closeSync(f1);
    closeSync(f2);
    ca.closeAllFds();
    cb.closeAllFds();
    await closeBoth(a, b);
  });

  it('reports our own credentials as the peer', async () => {
    const [a, b] = socketPair();
    expect(a.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
    await closeBoth(a, b);
    expect(a.fd).toBe(-1);
  });

  it('refuses fds with empty bytes, and too many fds without a filler', async () => {
    const [a, b] = socketPair();
    const f = fileWith('x');
    await expect(a.write(Buffer.alloc(0), [f])).rejects.toBeInstanceOf(InvalidWriteError);
    await expect(a.write(Buffer.from('x'), new Array<number>(254).fill(f))).rejects.toMatchObject({
      code: 'ERR_INVALID_WRITE',
    });
    closeSync(f);
    await closeBoth(a, b);
  });

  it('a write carrying a closed fd fails alone with EBADF; the connection stays usable', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    b.start(cb);
    const f = fileWith('gone');
    closeSync(f);
    await expect(a.write(Buffer.from('bad'), [f])).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendmsg' });
    expect(a.writableLength).toBe(0);
    await a.write(Buffer.from('good'));
    await cb.until(() => cb.byteLength === 4);
    expect(cb.bytes.toString()).toBe('good');
    await closeBoth(a, b);
  });

  it('an Fd closed while its queued write waits is refused at send time, never sent as the file that reused its number', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    b.start(cb);
    const secret = fileWith('secret');
    void a.write(Buffer.from('first')); // sent at once: the write below queues behind it (one burst)
    const borrowed = new Fd(fileWith('borrowed'));
    const number = borrowed.value;
    const queued = a.write(Buffer.from('second'), [borrowed]);
    // Misuse: the caller closes the borrowed fd before the write resolved, and the number is reused.
    borrowed.close();
    const reused = openSync(`/proc/self/fd/${secret}`, 'r');
    expect(reused).toBe(number);
    await expect(queued).rejects.toMatchObject({ name: 'FdClosedError', code: 'ERR_FD_CLOSED' });
    await a.write(Buffer.from('third'));
    await cb.until(() => cb.byteLength === 'firstthird'.length);
    expect(cb.bytes.toString()).toBe('firstthird');
    expect(cb.fds).toHaveLength(0);
    closeSync(reused);
    closeSync(secret);
    await closeBoth(a, b);
  });

  it('sends 1,000 fds in one write as batches of ≤253, each continuation one filler byte, in order', async () => {
    const native = nativeAddon();
    const pairs = Array.from({ length: 500 }, () => native.socketpair());
    const sent = pairs.flat();
    const ids = sent.map((fd) => readlinkSync(`/proc/self/fd/${fd}`));
    const [a, b] = socketPair();
    const cb = new Collector();
    const got: string[] = [];
    b.start({
      ...cb,
      data: (bytes, fds) => {
        // Record identities and close at once, so at most one batch is open at a time.
        for (const fd of fds) got.push(readlinkSync(`/proc/self/fd/${fd.value}`));
        Fd.closeAll(fds);
        cb.data(bytes, []);
        cb.events[cb.events.length - 1] = { bytes, fds: new Array<Fd>(fds.length) };
      },
      end: () => cb.end(),
      error: (e) => cb.error(e),
      close: () => cb.close(),
    });
    await a.write(Buffer.from('{"m":1}'), sent, { filler: 0x20 });
    await cb.until(() => got.length === 1000);
    for (const fd of sent) closeSync(fd);
    expect(got).toEqual(ids);
    const batches = cb.events.map((e) => [e.bytes.toString(), e.fds.length]);
    expect(batches).toEqual([
      ['{"m":1}', 253],
      [' ', 253],
      [' ', 253],
      [' ', 241],
    ]);
    await closeBoth(a, b);
  });

  it('halves the per-sendmsg maximum on EINVAL (maxFdsPerSend 500) and still delivers every fd in order', async () => {
    const f = fileWith('same');
    const [a, b] = socketPair({ maxFdsPerSend: 500 });
    const counts: number[] = [];
    let total = 0;
    const cb = new Collector();
    b.start({
      data: (bytes, fds) => {
        counts.push(fds.length);
        total += fds.length;
        Fd.closeAll(fds);
        cb.data(bytes, []);
      },
      end: () => cb.end(),
      error: (e) => cb.error(e),
      close: () => cb.close(),
    });
    await a.write(Buffer.from('x'), new Array<number>(1000).fill(f), { filler: 0x20 });
    expect(a.maxFdsPerSend).toBe(250);
    await cb.until(() => total === 1000);
    expect(counts).toEqual([250, 250, 250, 250]);
    expect(cb.bytes.toString()).toBe('x   ');
    // The lowered maximum sticks for later writes.
    await a.write(Buffer.from('y'), new Array<number>(300).fill(f), { filler: 0x20 });
    await cb.until(() => total === 1300);
    expect(counts.slice(4)).toEqual([250, 50]);
    closeSync(f);
    await closeBoth(a, b);
  });

  it('a write without filler that EINVAL halving makes too large is refused before any byte is sent', async () => {
    const f = fileWith('n');
    const [a, b] = socketPair({ maxFdsPerSend: 400 });
    const cb = new Collector();
    b.start(cb);
    await expect(a.write(Buffer.from('first'), new Array<number>(300).fill(f))).rejects.toMatchObject({
      code: 'ERR_INVALID_WRITE',
    });
    expect(a.maxFdsPerSend).toBe(150);
    await a.write(Buffer.from('second'), [f]);
    await cb.until(() => cb.byteLength === 6);
    expect(cb.events.map((e) => [e.bytes.toString(), e.fds.length])).toEqual([['second', 1]]);
    cb.closeAllFds();
    closeSync(f);
    await closeBoth(a, b);
  });

  it('never duplicates fds after a partial write: 4 MiB with 3 fds to a late reader gives exactly 3 fds', async () => {
    const [a, b] = socketPair();
    const f = fileWith('p');
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const done = a.write(big, [f, f, f]);
    await new Promise((r) => setTimeout(r, 20));
    expect(a.writableLength).toBeGreaterThan(0);
    expect(a.writableLength).toBeLessThan(big.length);
    const cb = new Collector();
    b.start(cb);
    await done;
    await cb.until(() => cb.byteLength === big.length);
    expect(cb.fds.length).toBe(3);
    expect(cb.events[0]?.fds.length).toBe(3);
    expect(cb.bytes.equals(big)).toBe(true);
    cb.closeAllFds();
    closeSync(f);
    await closeBoth(a, b);
  });

  it('delivers 16 MiB intact to a reader that starts late, with drain after backpressure', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    a.start(ca);
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    const writes = [a.write(big.subarray(0, 8 << 20)), a.write(big.subarray(8 << 20))];
    await new Promise((r) => setTimeout(r, 20));
    expect(a.writableLength).toBeGreaterThan(8 << 20);
    const cb = new Collector();
    b.start(cb);
    await Promise.all(writes);
    await cb.until(() => cb.byteLength === big.length);
    expect(cb.bytes.equals(big)).toBe(true);
    expect(a.writableLength).toBe(0);
    expect(ca.drains).toBe(1);
    await closeBoth(a, b);
  });

  it('end() half-closes: the peer sees end, answers, and both close after their own end()', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    const cb = new Collector();
    a.start(ca);
    b.start(cb);
    await a.write(Buffer.from('last words'));
    await a.end();
    await cb.until(() => cb.ended);
    expect(cb.bytes.toString()).toBe('last words');
    await b.write(Buffer.from('reply after EOF'));
    await ca.until(() => ca.byteLength === 15);
    expect(a.closed).toBe(false);
    await b.end();
    await Promise.all([a.whenClosed, b.whenClosed]);
    expect(cb.log.slice(-2)).toEqual(['end', 'close']);
    expect(ca.log.slice(-2)).toEqual(['end', 'close']);
    await expect(a.write(Buffer.from('x'))).rejects.toBeInstanceOf(TransportClosedError);
  });

  it('a peer destroyed mid-write rejects the pending writes with EPIPE or ECONNRESET, then closes', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    a.start(ca);
    const first = a.write(Buffer.alloc(8 << 20));
    const second = a.write(Buffer.from('queued'));
    await new Promise((r) => setTimeout(r, 10));
    b.destroy();
    await expect(first).rejects.toMatchObject({ code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/) });
    await expect(second).rejects.toBeTruthy();
    await a.whenClosed;
    expect(ca.log).toEqual(['error', 'close']);
    expect(a.writableLength).toBe(0);
  });

  it('destroy(err) rejects pending writes with err and reports error then close exactly once', async () => {
    const [a, b] = socketPair();
    const ca = new Collector();
    a.start(ca);
    const w = a.write(Buffer.alloc(8 << 20));
    const boom = new Error('boom');
    a.destroy(boom);
    a.destroy(new Error('again'));
    await expect(w).rejects.toBe(boom);
    await a.whenClosed;
    expect(ca.log).toEqual(['error', 'close']);
    expect(ca.failure).toBe(boom);
    b.destroy();
    await b.whenClosed;
  });

  it('a read boundary stops every receive right after the delimiter', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    b.setReadBoundary(0);
    await a.write(Buffer.from('one\0two\0three'));
    b.start(cb);
    await cb.until(() => cb.byteLength === 13);
    expect(cb.events.map((e) => e.bytes.toString())).toEqual(['one\0', 'two\0', 'three']);
    await closeBoth(a, b);
  });

  it('a read boundary does not install fds during the peek; fds arrive with their message', async () => {
    const [a, b] = socketPair();
    const f = fileWith('z');
    b.setReadBoundary(0);
    await a.write(Buffer.from('a\0'));
    await a.write(Buffer.from('b\0'), [f]);
    const cb = new Collector();
    b.start(cb);
    await cb.until(() => cb.byteLength === 4);
    expect(cb.events.map((e) => [e.bytes.toString(), e.fds.length])).toEqual([
      ['a\0', 0],
      ['b\0', 1],
    ]);
    cb.closeAllFds();
    closeSync(f);
    await closeBoth(a, b);
  });

  it('pause() stops reading until resume()', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    b.start(cb);
    b.pause();
    await a.write(Buffer.from('held'));
    await new Promise((r) => setTimeout(r, 20));
    expect(cb.byteLength).toBe(0);
    b.resume();
    await cb.until(() => cb.byteLength === 4);
    await closeBoth(a, b);
  });

  it('fromFd adopts a connected socket and refuses a listening one', async () => {
    const native = nativeAddon();
    const [x, y] = native.socketpair();
    const a = UnixSocket.fromFd(new Fd(x));
    const b = UnixSocket.fromFd(y);
    const cb = new Collector();
    b.start(cb);
    await a.write(Buffer.from('adopted'));
    await cb.until(() => cb.byteLength === 7);
    await closeBoth(a, b);
    const l = native.socket();
    native.bind(l, `@fdpass-fromfd-${process.pid}`);
    native.listen(l, 1);
    expect(() => UnixSocket.fromFd(l)).toThrow(/listening/);
    native.close(l);
  });

  it('close() flushes queued writes before closing', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    const w = a.write(Buffer.alloc(1 << 20, 1));
    const closing = a.close();
    b.start(cb);
    await w;
    await closing;
    await cb.until(() => cb.ended);
    expect(cb.byteLength).toBe(1 << 20);
    b.destroy();
    await b.whenClosed;
  });

  it('start() after the transport closed still reports close once', async () => {
    const [a, b] = socketPair();
    a.destroy();
    await a.whenClosed;
    const ca = new Collector();
    a.start(ca);
    await ca.until(() => ca.closedCount === 1);
    expect(ca.log).toEqual(['close']);
    b.destroy();
    await b.whenClosed;
  });
});

describe('received fds and content', () => {
  it('reads a received fd through /proc/self/fd', async () => {
    const [a, b] = socketPair();
    const cb = new Collector();
    b.start(cb);
    const f = fileWith('via proc');
    await a.write(Buffer.from('m'), [f]);
    await cb.until(() => cb.fds.length === 1);
    expect(readFileSync(`/proc/self/fd/${(cb.fds[0] as Fd).value}`, 'utf8')).toBe('via proc');
    cb.closeAllFds();
    closeSync(f);
    await closeBoth(a, b);
  });
});
