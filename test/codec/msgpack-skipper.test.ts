import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MSGPACK_FILLER, MsgpackFramingError, MsgpackSkipper } from '../../src/codec/index.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Big-endian unsigned integer of `size` bytes. */
function be(value: number, size: 1 | 2 | 4): number[] {
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(value / 256 ** i) % 256);
  return out;
}

/**
 * One item of every msgpack type, in every length encoding, written by hand so that the test does not
 * depend on which forms an encoder happens to choose.
 */
const items: number[][] = [
  [0x00], [0x7f], [0xe0], [0xff], [0xc0], [0xc2], [0xc3], // fixints, nil, false, true
  [0xcc, 1], [0xcd, 1, 2], [0xce, 1, 2, 3, 4], [0xcf, 1, 2, 3, 4, 5, 6, 7, 8], // uint 8…64
  [0xd0, 1], [0xd1, 1, 2], [0xd2, 1, 2, 3, 4], [0xd3, 1, 2, 3, 4, 5, 6, 7, 8], // int 8…64
  [0xca, 0x3f, 0x80, 0, 0], [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], // float 32/64
  [0xa0], [0xa3, 0x61, 0x62, 0x63], // fixstr (empty, "abc")
  [0xd9, 3, 0xc1, 0xc1, 0xc1], // str8 whose payload is 0xc1 bytes: payload is never interpreted
  [0xda, ...be(300, 2), ...new Array<number>(300).fill(0x91)], // str16 of bytes that look like fixarray
  [0xdb, ...be(70_000, 4), ...new Array<number>(70_000).fill(0xdd)], // str32 of bytes that look like array32
  [0xc4, 2, 0x80, 0x90], [0xc5, ...be(1, 2), 0xdf], [0xc6, ...be(3, 4), 1, 2, 3], // bin 8/16/32
  [0xd4, 1, 9], [0xd5, 1, 9, 9], [0xd6, 1, 9, 9, 9, 9], [0xd7, 1, ...new Array<number>(8).fill(9)], // fixext 1…8
  [0xd8, 1, ...new Array<number>(16).fill(9)], // fixext 16
  [0xc7, 0, 5], [0xc7, 2, 5, 0xc1, 0xc1], [0xc8, ...be(2, 2), 5, 7, 7], [0xc9, ...be(1, 4), 5, 0xc1], // ext 8/16/32
  [0x90], [0x80], [0xdc, 0, 0], [0xdd, 0, 0, 0, 0], [0xde, 0, 0], [0xdf, 0, 0, 0, 0], // empty containers
  [0x92, 0x91, 0x90, 0x81, 0xa1, 0x6b, 0x90], // [[[]], {k: []}]
  [0xdc, ...be(2, 2), 0x01, 0xde, ...be(1, 2), 0xa1, 0x6b, 0xdd, ...be(1, 4), 0xc3], // array16/map16/array32
  [0xdf, ...be(1, 4), 0xcc, 7, 0xc0], // map32 with an integer key
];

/** A top-level map {"v": [every item]} (array32 header) — the shape of a message. */
const varied = Buffer.from([0x81, 0xa1, 0x76, 0xdd, ...be(items.length, 4), ...items.flat()]);
const small = Buffer.from([0x82, 0xa2, 0x69, 0x64, 0x01, 0xa3, 0x66, 0x64, 0x73, 0x02]); // {id:1, fds:2}

/** Feeds `input` in chunks of `size` bytes and collects every value's bytes. */
function cutAll(input: Buffer, size: number, skipper = new MsgpackSkipper()): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) {
    skipper.push(input.subarray(i, i + size));
    for (let v = skipper.next(); v !== null; v = skipper.next()) out.push(Buffer.from(v.bytes));
  }
  return out;
}

function framingError(fn: () => unknown): MsgpackFramingError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MsgpackFramingError);
    expect((err as MsgpackFramingError).code).toBe('ERR_MSGPACK_FRAMING');
    return err as MsgpackFramingError;
  }
  throw new Error('expected a MsgpackFramingError');
}

describe('MsgpackSkipper', () => {
  it('finds the end of a value with every type and length encoding at every split point', () => {
    const stream = Buffer.concat([Buffer.from([MSGPACK_FILLER]), varied, Buffer.from([MSGPACK_FILLER, MSGPACK_FILLER]), small]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new MsgpackSkipper();
      s.push(stream.subarray(0, cut));
      const got: Buffer[] = [];
      for (let v = s.next(); v !== null; v = s.next()) got.push(Buffer.from(v.bytes));
      s.push(stream.subarray(cut));
      for (let v = s.next(); v !== null; v = s.next()) got.push(Buffer.from(v.bytes));
      expect(got.length, `cut at ${cut}`).toBe(2);
      expect(got[0]!.equals(varied), `cut at ${cut}`).toBe(true);
      expect(got[1]!.equals(small), `cut at ${cut}`).toBe(true);
      expect(s.skipFiller()).toBe(false);
    }
  });

  it('cuts the same values byte-at-a-time and at odd chunk sizes', () => {
    const stream = Buffer.concat([varied, small, Buffer.from([MSGPACK_FILLER]), varied]);
    for (const size of [1, 2, 3, 7, 4096, stream.length]) {
      const got = cutAll(stream, size);
      expect(got.map((b) => b.length)).toEqual([varied.length, small.length, varied.length]);
      expect(Buffer.concat(got).equals(Buffer.concat([varied, small, varied]))).toBe(true);
    }
  });

  it('agrees with msgpackr on where encoded messages end', () => {
    const values = [
      { jsonrpc: '2.0', id: 1, method: 'open', params: { names: ['a', 'b'], big: 2 ** 40, neg: -5, f: 1.5 } },
      { jsonrpc: '2.0', id: 'x', result: { text: 'é😀'.repeat(1000), list: Array.from({ length: 40 }, (_, i) => i * 1000), ok: true, none: null } },
      [{ batch: true }],
    ];
    const stream = Buffer.concat(values.map((v) => packr.pack(v)));
    expect(cutAll(stream, 5).map((b) => packr.unpack(b) as unknown)).toEqual(values);
  });

  it('reports stream offsets and skips filler between values', () => {
    const s = new MsgpackSkipper();
    s.push(Buffer.concat([Buffer.from([0xc1, 0xc1]), small, Buffer.from([0xc1]), small]));
    const a = s.next()!;
    const b = s.next()!;
    expect([a.start, a.end, b.start, b.end]).toEqual([2, 2 + small.length, 3 + small.length, 3 + 2 * small.length]);
    expect(s.bytesExamined).toBe(s.received);
  });

  it('waits inside a truncated value and says bytes are pending', () => {
    const s = new MsgpackSkipper();
    s.push(varied.subarray(0, varied.length - 1));
    expect(s.next()).toBeNull();
    expect(s.inValue).toBe(true);
    expect(s.skipFiller()).toBe(true);
    s.push(varied.subarray(varied.length - 1));
    expect(s.next()?.bytes.equals(varied)).toBe(true);
    expect(s.inValue).toBe(false);
  });

  it('rejects 0xc1 inside a value, even split from its value', () => {
    for (const cut of [0, 1, 2, 3]) {
      const bytes = Buffer.from([0x82, 0xa1, 0x61, 0xc1, 0xa1, 0x62, 0x01]); // {a: <0xc1>, b: 1}
      const s = new MsgpackSkipper();
      s.push(bytes.subarray(0, cut));
      const err = framingError(() => {
        s.next();
        s.push(bytes.subarray(cut));
        s.next();
      });
      expect(err.reason).toBe('syntax');
      expect(err.offset).toBe(3);
    }
  });

  it.each([
    ['a space (fixint 32), which is why the filler is not 0x20', [0x20]],
    ['a string', [0xa1, 0x61]],
    ['nil', [0xc0]],
    ['a float', [0xcb, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['an ext', [0xd4, 1, 1]],
  ])('rejects a top-level %s', (_name, bytes) => {
    const s = new MsgpackSkipper();
    s.push(Buffer.from([0xc1, ...bytes]));
    const err = framingError(() => s.next());
    expect(err.reason).toBe('not-a-container');
    expect(err.offset).toBe(1);
  });

  it('accepts nesting exactly at the depth limit and rejects one more', () => {
    const nested = (depth: number): Buffer => Buffer.from([...new Array<number>(depth - 1).fill(0x91), 0x90]);
    const s = new MsgpackSkipper({ maxDepth: 10 });
    s.push(nested(10));
    expect(s.next()?.bytes.length).toBe(10);
    const t = new MsgpackSkipper({ maxDepth: 10 });
    t.push(nested(11));
    expect(framingError(() => t.next()).reason).toBe('too-deep');
  });

  it('fails cleanly on 50,000 levels of nesting', () => {
    const s = new MsgpackSkipper();
    s.push(Buffer.from([0x81, 0xa1, 0x61, ...new Array<number>(50_000).fill(0x91), 0x90]));
    expect(framingError(() => s.next()).reason).toBe('too-deep');
  });

  it('refuses a declared length or count beyond the size limit before the bytes arrive', () => {
    const str = new MsgpackSkipper({ maxMessageBytes: 1024 * 1024 });
    str.push(Buffer.from([0x81, 0xa1, 0x61, 0xdb, ...be(1024 ** 3, 4)])); // a 1 GiB string announced
    expect(framingError(() => str.next()).reason).toBe('too-large');
    expect(str.received).toBe(8);

    const map = new MsgpackSkipper({ maxMessageBytes: 1000 });
    map.push(Buffer.from([0xdf, ...be(4_000_000_000, 4)]));
    expect(framingError(() => map.next()).reason).toBe('too-large');
  });

  it('stops buffering once a value of many small items exceeds the size limit', () => {
    const s = new MsgpackSkipper({ maxMessageBytes: 100 });
    s.push(Buffer.from([0xdd, ...be(50, 4)])); // 50 items fit the count check, not their bytes
    expect(s.next()).toBeNull();
    const err = framingError(() => {
      for (let i = 0; i < 50; i++) {
        s.push(Buffer.from([0xa4, 0x61, 0x62, 0x63, 0x64]));
        s.next();
      }
    });
    expect(err.reason).toBe('too-large');
    expect(s.received).toBeLessThanOrEqual(105);
  });

  it('hands back unreturned bytes, including a partial value', () => {
    const s = new MsgpackSkipper();
    s.push(Buffer.concat([small, varied.subarray(0, 20)]));
    expect(s.next()?.bytes.equals(small)).toBe(true);
    expect(s.next()).toBeNull();
    expect(Buffer.concat(s.takeRemainder()).equals(varied.subarray(0, 20))).toBe(true);
    expect(s.bufferedBytes).toBe(0);
  });

  it('cuts 16 MiB arriving in 4 KiB chunks in linear time, stepping over each byte once', () => {
    // Small items make the skipper do per-byte work; a large bin makes it jump.
    const value = {
      rows: Array.from({ length: 100_000 }, (_, i) => ({ i, name: `row-${i}`, tags: ['a', 'b'], v: i / 3 })),
      blob: Buffer.alloc(12 * 1024 * 1024, 7),
    };
    const bytes = packr.pack(value);
    expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
    const s = new MsgpackSkipper();
    let found = 0;
    for (let i = 0; i < bytes.length; i += 4096) {
      s.push(bytes.subarray(i, i + 4096));
      const v = s.next();
      if (v !== null) {
        found++;
        expect(v.end).toBe(bytes.length);
      }
    }
    expect(found).toBe(1);
    // A rescan per chunk would examine ~n²/(2·4096) ≈ 35 billion bytes; once per byte is exactly n.
    expect(s.bytesExamined).toBe(bytes.length);
  });
});
