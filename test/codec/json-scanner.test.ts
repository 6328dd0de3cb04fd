import { describe, expect, it } from 'vitest';
import { JsonFramingError, JsonScanner } from '../../src/codec/index.js';

/** Feeds `input` in chunks of `size` bytes and collects every value's text. */
function scanAll(input: Buffer, size: number, scanner = new JsonScanner()): string[] {
  const out: string[] = [];
  for (let i = 0; i < input.length; i += size) {
    scanner.push(input.subarray(i, i + size));
    for (let v = scanner.next(); v !== null; v = scanner.next()) out.push(v.bytes.toString('utf8'));
  }
  return out;
}

function framingReason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JsonFramingError);
    return (err as JsonFramingError).reason;
  }
  throw new Error('expected a JsonFramingError');
}

describe('JsonScanner', () => {
  const messages = [
    '{"a":1}',
    '{"s":"with } and ] and { inside","t":"esc \\" quote"}',
    '[1,[2,{"x":[]}]]',
    '{"b":"\\\\"}',
    '{"c":"\\\\\\"}"}',
    '{"u":"héllo ☃ 😀"}',
  ];
  const stream = Buffer.from(messages.join(' \n\t\r'), 'utf8');

  it('cuts the same values at every chunk size, byte-at-a-time included', () => {
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      expect(scanAll(stream, size)).toEqual(messages);
    }
  });

  it('tracks an escaped backslash run split across chunks', () => {
    // "x\\\\" then a quote that closes the string: split between every pair of backslashes.
    const text = '{"k":"x\\\\\\\\","after":"}"}';
    for (let cut = 1; cut < text.length; cut++) {
      const s = new JsonScanner();
      s.push(Buffer.from(text.slice(0, cut)));
      expect(s.next()).toBeNull();
      s.push(Buffer.from(text.slice(cut)));
      expect(s.next()?.bytes.toString()).toBe(text);
    }
  });

  it('keeps a multibyte character split across chunks intact', () => {
    const text = Buffer.from('{"k":"€😀"}', 'utf8');
    for (let cut = 1; cut < text.length; cut++) {
      const s = new JsonScanner();
      s.push(text.subarray(0, cut));
      expect(s.next()).toBeNull();
      s.push(text.subarray(cut));
      const v = s.next();
      expect(JSON.parse(v!.bytes.toString('utf8'))).toEqual({ k: '€😀' });
    }
  });

  it('reports stream offsets of each value', () => {
    const s = new JsonScanner();
    s.push(Buffer.from('  {"a":1}\n[2]'));
    expect(s.next()).toMatchObject({ start: 2, end: 9 });
    expect(s.next()).toMatchObject({ start: 10, end: 13 });
    expect(s.next()).toBeNull();
  });

  it('reports whether non-whitespace is pending after the last value', () => {
    const s = new JsonScanner();
    s.push(Buffer.from('{"a":1} \t\r\n'));
    expect(s.next()).not.toBeNull();
    expect(s.skipWhitespace()).toBe(false);
    s.push(Buffer.from('  '));
    expect(s.skipWhitespace()).toBe(false);
    s.push(Buffer.from(' {'));
    expect(s.skipWhitespace()).toBe(true);
    expect(s.next()).toBeNull();
    expect(s.inValue).toBe(true);
  });

  it('rejects top-level values that are not objects or arrays', () => {
    for (const bad of ['42', '"str"', 'true', 'null', 'x']) {
      const s = new JsonScanner();
      s.push(Buffer.from(bad));
      expect(framingReason(() => s.next())).toBe('not-a-container');
    }
    const s = new JsonScanner();
    s.push(Buffer.from('{"a":1}}'));
    expect(s.next()).not.toBeNull();
    expect(framingReason(() => s.next())).toBe('syntax');
  });

  it('rejects invalid UTF-8 inside a value', () => {
    const s = new JsonScanner();
    s.push(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    expect(framingReason(() => s.next())).toBe('invalid-utf8');
  });

  it('fails cleanly on 50,000 levels of nesting', () => {
    const s = new JsonScanner({ maxDepth: 1000 });
    s.push(Buffer.from('['.repeat(50_000)));
    expect(framingReason(() => s.next())).toBe('too-deep');
  });

  it('accepts nesting exactly at the limit', () => {
    const s = new JsonScanner({ maxDepth: 3 });
    s.push(Buffer.from('[[[]]]'));
    expect(s.next()?.bytes.toString()).toBe('[[[]]]');
  });

  it('stops buffering once a value exceeds the size limit', () => {
    const s = new JsonScanner({ maxMessageBytes: 1024 });
    s.push(Buffer.from('{"a":"'));
    expect(s.next()).toBeNull();
    s.push(Buffer.alloc(1000, 0x61));
    expect(s.next()).toBeNull();
    s.push(Buffer.alloc(100, 0x61));
    expect(framingReason(() => s.next())).toBe('too-large');
  });

  it('drops whitespace and consumed values instead of holding them', () => {
    const s = new JsonScanner();
    for (let i = 0; i < 1000; i++) {
      s.push(Buffer.from('{"i":1}   '));
      expect(s.next()).not.toBeNull();
    }
    expect(s.skipWhitespace()).toBe(false);
    expect(s.bufferedBytes).toBe(0);
  });

  it('hands back unreturned bytes, including a partial value', () => {
    const s = new JsonScanner();
    s.push(Buffer.from('{"a":1}  {"b"'));
    s.push(Buffer.from(':2'));
    expect(s.next()).not.toBeNull();
    expect(s.next()).toBeNull();
    expect(Buffer.concat(s.takeRemainder()).toString()).toBe('  {"b":2'.trimStart());
    expect(s.bufferedBytes).toBe(0);
  });

  it('scans 16 MiB arriving in 4 KiB chunks in linear time', () => {
    const big = JSON.stringify({ data: 'x\\"y'.repeat(4 * 1024 * 1024), list: Array.from({ length: 100_000 }, (_, i) => i) });
    const bytes = Buffer.from(big);
    expect(bytes.length).toBeGreaterThan(16 * 1024 * 1024);
    const parseStart = performance.now();
    JSON.parse(bytes.toString('utf8'));
    const parseMs = performance.now() - parseStart;

    const s = new JsonScanner();
    const start = performance.now();
    let value = null;
    for (let i = 0; i < bytes.length; i += 4096) {
      s.push(bytes.subarray(i, i + 4096));
      value = s.next() ?? value;
    }
    const ms = performance.now() - start;
    expect(value?.bytes.length).toBe(bytes.length);
    // Every byte examined a bounded number of times: linear whatever the chunking.
    expect(s.bytesExamined).toBeLessThanOrEqual(2 * bytes.length);
    expect(ms).toBeLessThan(Math.max(20 * parseMs, 500));
  });
});
