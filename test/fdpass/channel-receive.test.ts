import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FdPassError } from '../../src/fdpass/fdpass-error.js';
import { Fd } from '../../src/transport/fd.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';
import type { MemoryTransport } from '../../src/transport/memory-transport.js';
import type { ChannelOptions } from '../../src/fdpass/channel.js';
import { Collector, RawPeer, rawSetup, settle } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

const setup = rawSetup;

async function expectFatal(rx: Collector, peer: RawPeer, reason: string): Promise<void> {
  const error = await rx.closed;
  expect(error).toBeInstanceOf(FdPassError);
  expect((error as FdPassError).code).toBe(-32050);
  expect((error as FdPassError).reason).toBe(reason);
  expect(rx.closeCalls).toBe(1);
  await settle();
  // The final error response reached the peer before the connection closed.
  expect(JSON.parse(peer.text)).toEqual({
    jsonrpc: '2.0',
    error: { code: -32050, message: 'File Descriptor Error', data: { reason } },
    id: null,
  });
  expect(peer.ended).toBe(true);
}

expectNoFdLeaks({ settle });

describe('FdPassChannel receiving', () => {
  it('delivers a message with its fd when bytes arrive one at a time, fds on the first byte', async () => {
    const { b, rx } = setup();
    const text = '{"jsonrpc":"2.0","method":"m","fds":2}';
    b.injectRead(text[0]!, 2);
    for (const ch of text.slice(1)) b.injectRead(ch);
    const [m] = await rx.waitFor(1);
    expect(m!.value).toEqual({ jsonrpc: '2.0', method: 'm', fds: 2 });
    expect(m!.fds).toHaveLength(2);
    rx.closeReceived();
    await rx.channel.close();
  });

  it('keeps a multibyte character split across reads', async () => {
    const { b, rx } = setup();
    const bytes = Buffer.from('{"s":"😀é"}', 'utf8');
    b.injectRead(bytes.subarray(0, 7));
    b.injectRead(bytes.subarray(7, 9));
    b.injectRead(bytes.subarray(9));
    const [m] = await rx.waitFor(1);
    expect(m!.value).toEqual({ s: '😀é' });
    await rx.channel.close();
  });

  it('splits several messages and their fds from one read', async () => {
    const { b, rx } = setup();
    // Linux returns one send's fds per read; earlier fd-less sends may be glued in front.
    b.injectRead('{"id":1}\n{"id":2}{"id":3,"fds":3}', 3);
    const ms = await rx.waitFor(3);
    expect(ms.map((m) => [m.value, m.fds.length])).toEqual([
      [{ id: 1 }, 0],
      [{ id: 2 }, 0],
      [{ id: 3, fds: 3 }, 3],
    ]);
    rx.closeReceived();
    await rx.channel.close();
  });

  it('waits for fds batched in later whitespace reads after the JSON completed', async () => {
    const { b, rx } = setup();
    b.injectRead('{"id":1,"fds":5}', 2);
    b.injectRead(' ', 2);
    await settle();
    expect(rx.messages).toHaveLength(0);
    b.injectRead(' ', 1);
    b.injectRead('{"id":2}');
    const ms = await rx.waitFor(2);
    expect(ms[0]!.fds).toHaveLength(5);
    expect(ms[1]!.value).toEqual({ id: 2 });
    rx.closeReceived();
    await rx.channel.close();
  });

  it('accepts all four whitespace bytes between messages', async () => {
    const { b, rx } = setup();
    b.injectRead(' \t\r\n{"a":1} \t\r\n[2]\t\r\n {"b":3}\r\n');
    const ms = await rx.waitFor(3);
    expect(ms.map((m) => m.value)).toEqual([{ a: 1 }, [2], { b: 3 }]);
    await rx.channel.close();
  });

  it('treats fds:0 like no fds', async () => {
    const { b, rx } = setup();
    b.injectRead('{"fds":0}{"x":1}');
    const ms = await rx.waitFor(2);
    expect(ms.map((m) => m.fds.length)).toEqual([0, 0]);
    await rx.channel.close();
  });

  it('keeps fds that arrived early for the next message that announces them', async () => {
    const { b, rx } = setup();
    b.injectRead('{"id":1}', 1);
    b.injectRead('{"id":2,"fds":1}');
    const ms = await rx.waitFor(2);
    expect(ms.map((m) => m.fds.length)).toEqual([0, 1]);
    rx.closeReceived();
    await rx.channel.close();
  });

  it('processes pending reads before any new read, in order', async () => {
    const [a, b] = memoryTransportPair();
    new RawPeer(a);
    const early = [new Fd(openDevNull())];
    const rx = new Collector(b, {
      pending: [
        { bytes: Buffer.from('{"id":1,"fd'), fds: early },
        { bytes: Buffer.from('s":1} {"id":2'), fds: [] },
      ],
    });
    b.injectRead('}{"id":3}');
    const ms = await rx.waitFor(3);
    expect(ms.map((m) => m.value)).toEqual([{ id: 1, fds: 1 }, { id: 2 }, { id: 3 }]);
    expect(ms[0]!.fds[0]).toBe(early[0]);
    rx.closeReceived();
    await rx.channel.close();
  });

  it('closes the pending fds when the channel is destroyed before it starts', async () => {
    const [, b] = memoryTransportPair();
    const fd = new Fd(openDevNull());
    const rx = new Collector(b, { pending: [{ bytes: Buffer.from('{'), fds: [fd] }] }, false);
    rx.channel.destroy();
    expect(fd.closed).toBe(true);
  });

  it('closes unclaimed fds at a clean EOF and reports a clean close', async () => {
    const { b, rx } = setup();
    b.injectRead('{"id":1} ', 2);
    b.injectEnd();
    expect(await rx.closed).toBeUndefined();
    expect(rx.messages).toHaveLength(1);
  });

  it('lets the end handler keep the channel writable after EOF', async () => {
    const [a, b] = memoryTransportPair();
    const peer = new RawPeer(a);
    const { FdPassChannel } = await import('../../src/fdpass/channel.js');
    const ch = new FdPassChannel(b);
    let closedWith: unknown = 'not yet';
    ch.start({
      message: (v) => void ch.send({ echo: v }),
      end: () => void ch.send({ bye: true }).then(() => ch.close()),
      close: (e) => (closedWith = e),
    });
    b.injectRead('{"id":1}');
    b.injectEnd();
    await settle(20);
    expect(closedWith).toBeUndefined();
    expect(peer.text).toBe('{"echo":{"id":1}}{"bye":true}');
  });
});

describe('FdPassChannel fatal errors', () => {
  it('mismatched count: the next message starts before the fds arrived', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('{"id":1,"fds":2}', 1);
    b.injectRead(' {"id":2}');
    await expectFatal(rx, peer, 'mismatched-count');
    expect(rx.messages).toHaveLength(0);
  });

  it('mismatched count: EOF before the fds arrived', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('{"id":1,"fds":2}', 1);
    b.injectRead('  ');
    b.injectEnd();
    await expectFatal(rx, peer, 'mismatched-count');
  });

  it('never hands the next message\'s fd to a message that is short of fds (fd stealing)', async () => {
    const { b, rx, peer } = setup();
    // A announces 2 but brings 1; B arrives with its own fd. A literal FIFO count would see 2.
    b.injectRead('{"id":"A","fds":2}', 1);
    b.injectRead('{"id":"B","fds":1}', 1);
    await expectFatal(rx, peer, 'mismatched-count');
    expect(rx.messages).toHaveLength(0);
  });

  it('fd stealing within one read: fds after the message end with the next message\'s bytes', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('{"id":"A","fds":1}');
    b.injectRead('\n{"id":"B","fds":1}', 1);
    await expectFatal(rx, peer, 'mismatched-count');
  });

  it.each([
    ['garbage', 'hello'],
    ['a closing brace', '}'],
    ['a bare number', '42 '],
    ['a bare string', '"x"'],
    ['a JSON.parse-invalid slice', '{"a":tru}'],
    ['a trailing comma', '{"a":1,}'],
    ['a non-whitespace byte between messages', '{"a":1},{"b":2}'],
  ])('framing error: %s', async (_name, text) => {
    const { b, rx, peer } = setup();
    b.injectRead(text, 1);
    await expectFatal(rx, peer, 'framing');
  });

  it('framing error: invalid UTF-8 inside a message', async () => {
    const { b, rx, peer } = setup();
    b.injectRead(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    await expectFatal(rx, peer, 'framing');
  });

  it('framing error: EOF inside a message', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('{"a":', 1);
    b.injectEnd();
    await expectFatal(rx, peer, 'framing');
  });

  it('50,000-deep nesting is a clean fatal error', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('{"a":' + '['.repeat(50_000));
    await expectFatal(rx, peer, 'framing');
  });

  it.each([
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['a string', '"1"'],
    ['null', 'null'],
    ['huge', '1e300'],
    ['above the limit', '4097'],
  ])('invalid fds value: %s', async (_name, fds) => {
    const { b, rx, peer } = setup();
    b.injectRead(`{"id":1,"fds":${fds}}`, 1);
    await expectFatal(rx, peer, 'invalid-fds');
  });

  it('a message larger than maxMessageBytes is fatal without buffering the rest', async () => {
    const { b, rx, peer } = setup({ maxMessageBytes: 1000 });
    b.injectRead('{"a":"' + 'x'.repeat(600));
    b.injectRead('x'.repeat(600));
    b.injectRead('x'.repeat(100_000) + '"}');
    await expectFatal(rx, peer, 'limit');
  });

  it('more queued fds than maxQueuedFds is fatal and closes them all', async () => {
    const { b, rx, peer } = setup({ maxQueuedFds: 4 });
    b.injectRead('{"fds":3', 3);
    b.injectRead(' ', 2);
    await expectFatal(rx, peer, 'limit');
  });

  it('closes queued fds on a fatal error', async () => {
    const { b, rx, peer } = setup();
    const fds = [new Fd(openDevNull()), new Fd(openDevNull())];
    b.injectRead('{"fds":3}', fds);
    b.injectRead('x');
    await expectFatal(rx, peer, 'mismatched-count');
    expect(fds.every((fd) => fd.closed)).toBe(true);
  });

  it('closes queued fds when the channel is closed while a message waits for its fds', async () => {
    const { b, rx } = setup();
    const fds = [new Fd(openDevNull())];
    b.injectRead('{"fds":2}', fds);
    await settle();
    await rx.channel.close();
    expect(fds[0]!.closed).toBe(true);
    expect(rx.error).toBeUndefined();
  });

  it('ignores and closes fds of reads that arrive after a fatal error', async () => {
    const { b, rx, peer } = setup();
    b.injectRead('}');
    b.injectRead('{"fds":1}', 1);
    await expectFatal(rx, peer, 'framing');
  });

  it('does not wait forever for the final error response when the peer never reads', async () => {
    const [a, b] = memoryTransportPair({ bufferSize: 64 });
    a.start({ data: (_b, fds) => Fd.closeAll(fds), end() {}, error() {}, close() {} });
    a.pause();
    const rx = new Collector(b, { fatalErrorTimeoutMs: 50 });
    void rx.channel.send({ big: 'x'.repeat(10_000) }).catch(() => {});
    b.injectRead('nope');
    const started = Date.now();
    const error = await rx.closed;
    expect((error as FdPassError).reason).toBe('framing');
    expect(Date.now() - started).toBeLessThan(2000);
    a.destroy();
  });
});

function openDevNull(): number {
  return openSync('/dev/null', 'r');
}
