import { Packr } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { MSGPACK_FILLER, msgpackCodec } from '../../src/codec/index.js';
import type { ChannelOptions } from '../../src/fdpass/channel.js';
import { FdPassError } from '../../src/fdpass/fdpass-error.js';
import { Fd } from '../../src/transport/fd.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';
import type { MemoryTransport, MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { inode } from '../support/fd-files.js';
import { Collector, RawPeer, TempFiles, rawSetup, settle } from './harness.js';

// An independent encoder for what "the other implementation" sends, and to read what we sent.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const mp = (value: unknown): Buffer => packr.pack(value);
const FILLER = Buffer.from([MSGPACK_FILLER]);

const files = new TempFiles();
afterAll(() => files.remove());
expectNoFdLeaks({ settle });

/** A msgpack channel on side b; reads are injected into b exactly as given. */
function setup(options: ChannelOptions = {}): ReturnType<typeof rawSetup> {
  return rawSetup({ codec: msgpackCodec(), ...options });
}

/** Two msgpack channels over a memory pair. */
function channels(options: MemoryTransportOptions = {}): { tx: Collector; rx: Collector; a: MemoryTransport } {
  const [a, b] = memoryTransportPair(options);
  return { tx: new Collector(a, { codec: msgpackCodec() }), rx: new Collector(b, { codec: msgpackCodec() }), a };
}

async function shutdown(...cs: Collector[]): Promise<void> {
  for (const c of cs) c.closeReceived();
  await Promise.all(cs.map((c) => c.channel.close()));
}

async function expectFatal(rx: Collector, peer: RawPeer, reason: string): Promise<void> {
  const error = await rx.closed;
  expect(error).toBeInstanceOf(FdPassError);
  expect((error as FdPassError).code).toBe(-32050);
  expect((error as FdPassError).reason).toBe(reason);
  await settle();
  // The final error response is msgpack too: the peer speaks nothing else on this connection.
  expect(packr.unpack(peer.bytes)).toEqual({
    jsonrpc: '2.0',
    error: { code: -32050, message: 'File Descriptor Error', data: { reason } },
    id: null,
  });
  expect(peer.ended).toBe(true);
}

describe('FdPassChannel with the msgpack codec', () => {
  it('sends msgpack (not JSON) with an fds key and receives it byte by byte', async () => {
    const { tx, rx, a } = channels({ chunkSize: 1 });
    const raw: Buffer[] = [];
    const write = a.write.bind(a);
    a.write = (bytes, fds, options) => {
      raw.push(Buffer.from(bytes));
      return write(bytes, fds, options);
    };
    const sent = files.open(2, 'mp');
    const message = { jsonrpc: '2.0', method: 'open', params: { s: 'é😀', n: 2 ** 40, bin: Buffer.from([1, 2, 0xc1]) }, fds: 9 };
    await tx.channel.send(message, sent);
    const [m] = await rx.waitFor(1);
    expect(packr.unpack(raw[0]!)).toEqual({ ...message, fds: 2 });
    expect(m!.value).toEqual({ ...message, fds: 2 });
    expect(m!.fds.map(inode)).toEqual(sent.map(inode));
    expect(message.fds).toBe(9); // the caller's object is untouched
    Fd.closeAll(sent);
    await shutdown(tx, rx);
  });

  it('omits properties holding undefined and a caller fds key when no fds are attached, like JSON', async () => {
    const { tx, rx } = channels();
    await tx.channel.send({ id: 1, gone: undefined, fds: 4, list: [undefined, 1] });
    const [m] = await rx.waitFor(1);
    expect(m!.value).toStrictEqual({ id: 1, list: [null, 1] });
    const fd = files.open(1);
    await expect(tx.channel.send([{ id: 2 }], fd)).rejects.toThrow(TypeError);
    Fd.closeAll(fd);
    await shutdown(tx, rx);
  });

  it('sends 1,000 fds in one message with 0xc1 continuation batches and receives them in order', async () => {
    const { tx, rx, a } = channels({ chunkSize: 7 });
    const sent = files.open(1000, 'k');
    await tx.channel.send({ id: 'many' }, sent);
    await tx.channel.send({ id: 'next' }, sent.slice(0, 1));
    const ms = await rx.waitFor(2);
    expect(a.stats.sends).toBeGreaterThanOrEqual(5); // 4 sendmsg for the 1,000 fds, 1 for the next
    expect(ms[0]!.value).toEqual({ id: 'many', fds: 1000 });
    expect(ms[0]!.fds.map(inode)).toEqual(sent.map(inode));
    expect(ms[1]!.fds.map(inode)).toEqual([inode(sent[0]!)]);
    Fd.closeAll(sent);
    await shutdown(tx, rx);
  }, 20_000);

  it('waits for batched fds arriving on 0xc1-only reads, then dispatches', async () => {
    const { b, rx } = setup();
    b.injectRead(mp({ id: 1, fds: 600 }), 253);
    await settle();
    expect(rx.messages).toHaveLength(0);
    b.injectRead(FILLER, 253);
    b.injectRead(FILLER, 94);
    b.injectRead(Buffer.concat([FILLER, mp({ id: 2 })]));
    const ms = await rx.waitFor(2);
    expect(ms.map((m) => m.fds.length)).toEqual([600, 0]);
    await shutdown(rx);
  });

  it('reads an fds count another encoder wrote as uint64', async () => {
    const { b, rx } = setup();
    // {"fds": uint64 2}: valid msgpack for 2, even if msgpackr would write a fixint.
    b.injectRead(Buffer.from([0x81, 0xa3, 0x66, 0x64, 0x73, 0xcf, 0, 0, 0, 0, 0, 0, 0, 2]), 2);
    const [m] = await rx.waitFor(1);
    expect(m!.fds).toHaveLength(2);
    await shutdown(rx);
  });

  it('mismatched count: the next message starts before the fds arrived', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ id: 1, fds: 2 }), 1);
    b.injectRead(Buffer.concat([FILLER, mp({ id: 2 })]));
    await expectFatal(rx, peer, 'mismatched-count');
    expect(rx.messages).toHaveLength(0);
  });

  it('mismatched count: EOF before the fds arrived', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ id: 1, fds: 2 }), 1);
    b.injectRead(Buffer.from([MSGPACK_FILLER, MSGPACK_FILLER]));
    b.injectEnd();
    await expectFatal(rx, peer, 'mismatched-count');
  });

  it('never hands the next message\'s fd to a message that is short of fds (fd stealing)', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ id: 'A', fds: 2 }), 1);
    b.injectRead(mp({ id: 'B', fds: 1 }), 1);
    await expectFatal(rx, peer, 'mismatched-count');
    expect(rx.messages).toHaveLength(0);
  });

  it('fd stealing within one read: fds after the message end with the next message\'s bytes', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ id: 'A', fds: 1 }));
    b.injectRead(Buffer.concat([FILLER, mp({ id: 'B', fds: 1 })]), 1);
    await expectFatal(rx, peer, 'mismatched-count');
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '1'],
    ['nil', null],
    ['beyond 2^53 (a BigInt once decoded)', 2n ** 60n],
    ['above the limit', 4097],
  ])('invalid fds value: %s', async (_name, fds) => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ id: 1, fds }), 1);
    await expectFatal(rx, peer, 'invalid-fds');
  });

  it.each([
    ['a JSON space between messages (it is fixint 32)', Buffer.concat([mp({ a: 1 }), Buffer.from(' '), mp({ b: 2 })])],
    ['a JSON text', Buffer.from('{"a":1}')],
    ['0xc1 inside a message', Buffer.from([0x81, 0xa1, 0x61, 0xc1])],
    ['an ext type msgpackr cannot decode', Buffer.from([0x81, 0xa1, 0x61, 0xd4, 0x33, 0x00])],
  ])('framing error: %s', async (_name, bytes) => {
    const { b, rx, peer } = setup();
    b.injectRead(bytes, 1);
    await expectFatal(rx, peer, 'framing');
  });

  it('framing error: EOF inside a message', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(mp({ a: 'abc' }).subarray(0, 4), 1);
    b.injectEnd();
    await expectFatal(rx, peer, 'framing');
  });

  it('a message whose declared string exceeds maxMessageBytes is fatal at once', async () => {
    const { b, rx, peer } = setup({ maxMessageBytes: 1000 });
    b.injectRead(Buffer.from([0x81, 0xa1, 0x61, 0xdb, 0x10, 0, 0, 0])); // a 256 MiB string announced
    await expectFatal(rx, peer, 'limit');
  });
});
