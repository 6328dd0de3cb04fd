import { readSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';
import type { MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import { TransportClosedError } from '../../src/transport/system-error.js';
import { Collector, TempFiles, settle } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { inode } from '../support/fd-files.js';

const files = new TempFiles();
afterAll(() => files.remove());

expectNoFdLeaks({ settle });

function contentOf(fd: Fd): string {
  const buf = Buffer.alloc(64);
  return buf.subarray(0, readSync(fd.value, buf, 0, 64, 0)).toString();
}

/** Two channels over a memory pair; `tx` sends, `rx` collects. */
function channels(options: MemoryTransportOptions = {}): { tx: Collector; rx: Collector; a: ReturnType<typeof memoryTransportPair>[0] } {
  const [a, b] = memoryTransportPair(options);
  return { tx: new Collector(a), rx: new Collector(b), a };
}

async function shutdown(...cs: Collector[]): Promise<void> {
  for (const c of cs) c.closeReceived();
  await Promise.all(cs.map((c) => c.channel.close()));
}

describe('FdPassChannel sending', () => {
  it('delivers a message and its fds byte by byte', async () => {
    const { tx, rx } = channels({ chunkSize: 1 });
    const sent = files.open(2, 'bb');
    await tx.channel.send({ jsonrpc: '2.0', method: 'open', params: { s: 'é😀' } }, sent);
    const [m] = await rx.waitFor(1);
    expect(m!.value).toEqual({ jsonrpc: '2.0', method: 'open', params: { s: 'é😀' }, fds: 2 });
    expect(m!.fds.map(inode)).toEqual(sent.map(inode));
    expect(m!.fds.map(contentOf)).toEqual(['bb0', 'bb1']);
    Fd.closeAll(sent);
    await shutdown(tx, rx);
  });

  it('sets the fds member from the fds attached, without touching the caller\'s object', async () => {
    const { tx, rx } = channels();
    const withWrongCount = { id: 1, fds: 7 };
    const fd = files.open(1);
    await tx.channel.send(withWrongCount, fd);
    await tx.channel.send({ id: 2, fds: 3 });
    await tx.channel.send([{ id: 3 }]);
    const ms = await rx.waitFor(3);
    expect(ms.map((m) => m.value)).toEqual([{ id: 1, fds: 1 }, { id: 2 }, [{ id: 3 }]]);
    expect(ms.map((m) => m.fds.length)).toEqual([1, 0, 0]);
    expect(withWrongCount).toEqual({ id: 1, fds: 7 });
    Fd.closeAll(fd);
    await shutdown(tx, rx);
  });

  it('rejects unserialisable messages and fds on a batch array before writing anything', async () => {
    const { tx, rx } = channels();
    const fd = files.open(1);
    await expect(tx.channel.send([1], fd)).rejects.toThrow(TypeError);
    await expect(tx.channel.send({ n: 1n })).rejects.toThrow(TypeError);
    await tx.channel.send({ ok: true });
    const ms = await rx.waitFor(1);
    expect(ms.map((m) => m.value)).toEqual([{ ok: true }]);
    Fd.closeAll(fd);
    await shutdown(tx, rx);
  });

  it('fds that are not an array (null, a single Fd) reject with InvalidFdError and send nothing', async () => {
    const { tx, rx } = channels();
    const [fd] = files.open(1);
    for (const bad of [null, fd]) {
      const sent = tx.channel.send({ id: 1 }, bad as unknown as Fd[]); // a rejection, not a throw
      await expect(sent).rejects.toMatchObject({ name: 'InvalidFdError', code: 'ERR_INVALID_FD' });
    }
    // Nothing of the refused sends arrived: the first message is the next one, with its fd.
    await tx.channel.send({ id: 2 }, [fd!]);
    const ms = await rx.waitFor(1);
    expect(ms.map((m) => [m.value, m.fds.length])).toEqual([[{ id: 2, fds: 1 }, 1]]);
    fd!.close();
    await shutdown(tx, rx);
  });

  it('sends 1,000 fds in one message in batches of 253 and receives them in order', async () => {
    const { tx, rx, a } = channels({ chunkSize: 7 });
    const sent = files.open(1000, 'k');
    await tx.channel.send({ id: 'many' }, sent);
    await tx.channel.send({ id: 'next' }, sent.slice(0, 1));
    const ms = await rx.waitFor(2);
    expect(a.stats.sends).toBeGreaterThanOrEqual(5); // 4 sendmsg for the 1,000 fds, 1 for the next
    expect(ms[0]!.fds).toHaveLength(1000);
    expect(ms[0]!.fds.map(inode)).toEqual(sent.map(inode));
    expect(ms[1]!.fds.map(inode)).toEqual([inode(sent[0]!)]);
    Fd.closeAll(sent);
    await shutdown(tx, rx);
  }, 20_000);

  it('keeps every message with its own fds under random cuts and gluing', async () => {
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const { tx, rx } = channels({ splitter: (n) => 1 + Math.floor(random() * Math.min(n, 40)), maxFdsPerSend: 3 });
    const sent: Fd[][] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const fds = files.open(i % 7, `m${i}-`);
      sent.push(fds);
      sends.push(tx.channel.send({ i, pad: ' '.repeat(i % 5), text: 'x'.repeat((i * 37) % 90) }, fds));
    }
    await Promise.all(sends);
    const ms = await rx.waitFor(60);
    ms.forEach((m, i) => {
      expect((m.value as { i: number }).i).toBe(i);
      expect(m.fds.map(inode)).toEqual(sent[i]!.map(inode));
    });
    for (const fds of sent) Fd.closeAll(fds);
    await shutdown(tx, rx);
  });

  it('a slow reader gets every reply late, intact and in order', async () => {
    const [a, b] = memoryTransportPair({ bufferSize: 1024, readSize: 512 });
    const tx = new Collector(a);
    const rx = new Collector(b);
    rx.channel.pause();
    const big = 'y'.repeat(100_000);
    const sends = Array.from({ length: 20 }, (_, i) => tx.channel.send({ i, big }));
    await settle();
    expect(tx.channel.writableLength).toBeGreaterThan(1_000_000);
    expect(rx.messages).toHaveLength(0);
    rx.channel.resume();
    await Promise.all(sends);
    const ms = await rx.waitFor(20);
    expect(ms.map((m) => (m.value as { i: number }).i)).toEqual([...Array(20).keys()]);
    expect(ms.every((m) => (m.value as { big: string }).big === big)).toBe(true);
    expect(tx.channel.writableLength).toBe(0);
    await shutdown(tx, rx);
  });

  it('pause stops dispatching messages already received until resume', async () => {
    const { tx, rx } = channels();
    await tx.channel.send({ i: 1 });
    await rx.waitFor(1);
    rx.channel.pause();
    await tx.channel.send({ i: 2 });
    await settle(10);
    expect(rx.messages).toHaveLength(1);
    rx.channel.resume();
    await rx.waitFor(2);
    await shutdown(tx, rx);
  });

  it('a 16 MiB message in 4 KiB reads costs about as much as parsing it', async () => {
    const { tx, rx } = channels({ chunkSize: 4096, bufferSize: 32 * 1024 * 1024 });
    const payload = { data: 'a"b\\c'.repeat(3.4 * 1024 * 1024) };
    const text = JSON.stringify(payload);
    expect(text.length).toBeGreaterThan(16 * 1024 * 1024);
    const t0 = performance.now();
    JSON.parse(text);
    const parseMs = performance.now() - t0;
    const t1 = performance.now();
    await tx.channel.send(payload);
    const [m] = await rx.waitFor(1);
    const ms = performance.now() - t1;
    expect((m!.value as { data: string }).data.length).toBe(payload.data.length);
    // Quadratic rescanning would take minutes; linear is within a small multiple of one parse.
    expect(ms).toBeLessThan(Math.max(30 * parseMs, 3000));
    await shutdown(tx, rx);
  }, 30_000);

  it('send after close rejects with TransportClosedError', async () => {
    const { tx, rx } = channels();
    await tx.channel.close();
    expect(tx.channel.closed).toBe(true);
    await expect(tx.channel.send({ late: true })).rejects.toBeInstanceOf(TransportClosedError);
    expect(await rx.closed).toBeUndefined();
    expect(tx.closeCalls).toBe(1);
  });

  it('the peer sees a clean close when the other channel closes; async dispose closes too', async () => {
    const [a, b] = memoryTransportPair();
    const rx = new Collector(b);
    {
      const tx = new Collector(a);
      await using _ch = tx.channel;
      await tx.channel.send({ last: 1 });
    }
    await rx.waitFor(1);
    expect(await rx.closed).toBeUndefined();
  });
});
