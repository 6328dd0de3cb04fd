import { fstatSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';
import type { MemoryTransport, MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import { SystemError, TransportClosedError } from '../../src/transport/system-error.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

const devNull = (): Fd => new Fd(openSync('/dev/null', 'r'));
const settle = (n = 5): Promise<void> => new Promise((r) => (n === 0 ? r() : setImmediate(() => void settle(n - 1).then(r))));

/** Records every read of one side as [text, fdCount]. */
function recorder(t: MemoryTransport): { reads: [string, number][]; ended: () => boolean; closed: () => boolean; drains: () => number } {
  const reads: [string, number][] = [];
  let ended = false;
  let closed = false;
  let drains = 0;
  t.start({
    data: (bytes, fds) => {
      reads.push([bytes.toString(), fds.length]);
      Fd.closeAll(fds);
    },
    end: () => (ended = true),
    error: () => {},
    close: () => (closed = true),
    drain: () => drains++,
  });
  return { reads, ended: () => ended, closed: () => closed, drains: () => drains };
}

function pair(options: MemoryTransportOptions = {}): [MemoryTransport, MemoryTransport, ReturnType<typeof recorder>] {
  const [a, b] = memoryTransportPair(options);
  return [a, b, recorder(b)];
}

expectNoFdLeaks({ settle });

describe('memoryTransportPair', () => {
  it('glues fd-less sends in front of a send with fds and stops after it', async () => {
    const [a, b, rec] = pair();
    const fds = [devNull(), devNull()];
    const w = [a.write(Buffer.from('aa')), a.write(Buffer.from('bb')), a.write(Buffer.from('cc'), fds), a.write(Buffer.from('dd'))];
    await Promise.all(w);
    Fd.closeAll(fds);
    await settle();
    expect(rec.reads).toEqual([
      ['aabbcc', 2],
      ['dd', 0],
    ]);
    a.destroy();
    b.destroy();
  });

  it('never returns the fds of two sends in one read', async () => {
    const [a, b, rec] = pair();
    const x = [devNull()];
    await Promise.all([a.write(Buffer.from('x'), x), a.write(Buffer.from('y'), x)]);
    Fd.closeAll(x);
    await settle();
    expect(rec.reads).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
    a.destroy();
    b.destroy();
  });

  it('without coalescing a read never spans two sends', async () => {
    const [a, b, rec] = pair({ coalesce: false });
    await Promise.all([a.write(Buffer.from('aa')), a.write(Buffer.from('bb'))]);
    await settle();
    expect(rec.reads).toEqual([
      ['aa', 0],
      ['bb', 0],
    ]);
    a.destroy();
    b.destroy();
  });

  it('delivers byte by byte with fds on the first byte', async () => {
    const [a, b, rec] = pair({ chunkSize: 1 });
    const fd = [devNull()];
    await a.write(Buffer.from('abc'), fd);
    fd[0]!.close();
    await settle();
    expect(rec.reads).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 0],
    ]);
    a.destroy();
    b.destroy();
  });

  it('sends more fds than one sendmsg carries as filler-byte continuations', async () => {
    const [a, b, rec] = pair({ maxFdsPerSend: 2 });
    const fds = [devNull(), devNull(), devNull(), devNull(), devNull()];
    await a.write(Buffer.from('{}'), fds, { filler: 0x20 });
    Fd.closeAll(fds);
    await settle();
    expect(rec.reads).toEqual([
      ['{}', 2],
      [' ', 2],
      [' ', 1],
    ]);
    expect(a.stats.sends).toBe(3);
    a.destroy();
    b.destroy();
  });

  it('refuses fds with no bytes, and too many fds without a filler', async () => {
    const [a, b] = pair({ maxFdsPerSend: 1 });
    const fds = [devNull(), devNull()];
    await expect(a.write(Buffer.alloc(0), fds.slice(0, 1))).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(a.write(Buffer.from('x'), fds)).rejects.toBeInstanceOf(SystemError);
    Fd.closeAll(fds);
    a.destroy();
    b.destroy();
  });

  it('stops each read at the read boundary byte', async () => {
    const [a, b, rec] = pair();
    b.setReadBoundary(0);
    await a.write(Buffer.from('one\0two\0thr'));
    await settle();
    expect(rec.reads.map((r) => r[0])).toEqual(['one\0', 'two\0', 'thr']);
    a.destroy();
    b.destroy();
  });

  it('applies backpressure: writableLength, pause, resume and drain', async () => {
    const [a, b, rec] = pair({ bufferSize: 10 });
    b.pause();
    const w = a.write(Buffer.alloc(100, 0x61));
    await settle();
    expect(a.writableLength).toBe(90);
    expect(rec.reads).toHaveLength(0);
    b.resume();
    await w;
    await settle();
    expect(a.writableLength).toBe(0);
    expect(rec.reads.map((r) => r[0]).join('')).toBe('a'.repeat(100));
    a.destroy();
    b.destroy();
  });

  it('end() gives the peer EOF after the data, and the peer can still write back', async () => {
    const [a, b, rec] = pair();
    let got = '';
    a.start({ data: (bytes) => (got += bytes.toString()), end() {}, error() {}, close() {} });
    await a.write(Buffer.from('bye'));
    await a.end();
    await settle();
    expect(rec.ended()).toBe(true);
    await expect(a.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EPIPE' });
    await b.write(Buffer.from('reply'));
    await settle();
    expect(got).toBe('reply');
    a.destroy();
    b.destroy();
    await settle();
    expect(rec.closed()).toBe(true);
  });

  it('destroy rejects pending writes and closes fds queued for the reader', async () => {
    const [a, b] = memoryTransportPair({ bufferSize: 4 });
    const fd = [devNull()];
    const first = a.write(Buffer.from('ab'), fd); // reaches b's receive queue; b never starts
    const stuck = a.write(Buffer.alloc(100));
    await first;
    fd[0]!.close();
    expect(b.queuedFds).toBe(1);
    b.destroy();
    a.destroy();
    await expect(stuck).rejects.toBeInstanceOf(TransportClosedError);
    expect(b.queuedFds).toBe(0);
  });

  it('rejects a write whose fd cannot be copied, without sending any byte', async () => {
    const [a, b, rec] = pair();
    await expect(a.write(Buffer.from('x'), [987654])).rejects.toMatchObject({ code: 'EBADF' });
    await a.write(Buffer.from('ok'));
    await settle();
    expect(rec.reads).toEqual([['ok', 0]]);
    a.destroy();
    b.destroy();
  });

  it('closes the fd copies already made when a later batch of the write cannot be copied', async () => {
    const made: number[] = [];
    const [a, b, rec] = pair({
      maxFdsPerSend: 1,
      duplicate: (fd) => {
        if (fd === 987654) throw new SystemError('sendmsg', 'EBADF', 9, 'not open');
        const copy = openSync('/dev/null', 'r');
        made.push(copy);
        return copy;
      },
    });
    const fd = devNull();
    await expect(a.write(Buffer.from('x'), [fd, 987654], { filler: 0x20 })).rejects.toMatchObject({ code: 'EBADF' });
    fd.close();
    expect(made).toHaveLength(1);
    expect(() => fstatSync(made[0]!)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await settle();
    expect(rec.reads).toEqual([]);
    a.destroy();
    b.destroy();
  });

  it('destroying the sender mid-write leaves the fds already handed to the peer open', async () => {
    const [a, b] = memoryTransportPair({ bufferSize: 4 });
    const got: Fd[] = [];
    b.start({ data: (_bytes, fds) => got.push(...fds), end: () => {}, error: () => {}, close: () => {} });
    b.pause();
    const fd = [devNull()];
    const write = a.write(Buffer.from('abcdefgh'), fd); // the first 4 bytes and the fd reach b
    await settle();
    expect(b.queuedFds).toBe(1);
    a.destroy();
    await expect(write).rejects.toBeInstanceOf(TransportClosedError);
    fd[0]!.close();
    b.resume();
    await settle();
    expect(got).toHaveLength(1);
    expect(got[0]!.closed).toBe(false);
    Fd.closeAll(got);
    b.destroy();
  });

  it('injectRead delivers exactly the given read, fds included', async () => {
    const [a, b, rec] = pair();
    b.injectRead('{"a"', 3);
    b.injectRead('', 1);
    b.injectEnd();
    await settle();
    expect(rec.reads).toEqual([
      ['{"a"', 3],
      ['', 1],
    ]);
    expect(rec.ended()).toBe(true);
    a.destroy();
    b.destroy();
  });
});
