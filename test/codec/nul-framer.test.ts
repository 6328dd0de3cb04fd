import { describe, expect, it } from 'vitest';
import { NulFramer, NulFramingError } from '../../src/codec/index.js';

function collect(f: NulFramer): string[] {
  const out: string[] = [];
  for (let m = f.next(); m !== null; m = f.next()) out.push(m.toString());
  return out;
}

describe('NulFramer', () => {
  const stream = Buffer.from('{"method":"a"}\0{}\0\0{"parameters":{"x":"€"}}\0', 'utf8');
  const expected = ['{"method":"a"}', '{}', '', '{"parameters":{"x":"€"}}'];

  it('cuts the same messages at every chunk size', () => {
    for (const size of [1, 2, 5, 13, stream.length]) {
      const f = new NulFramer();
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += size) {
        f.push(stream.subarray(i, i + size));
        out.push(...collect(f));
      }
      expect(out).toEqual(expected);
      expect(f.bufferedBytes).toBe(0);
    }
  });

  it('keeps an unterminated tail and hands it back', () => {
    const f = new NulFramer();
    f.push(Buffer.from('{"a":1}\0{"b"'));
    f.push(Buffer.from(':2}'));
    expect(collect(f)).toEqual(['{"a":1}']);
    expect(Buffer.concat(f.takeRemainder()).toString()).toBe('{"b":2}');
    expect(f.bufferedBytes).toBe(0);
  });

  it('fails once an unterminated message exceeds the limit', () => {
    const f = new NulFramer({ maxMessageBytes: 8 });
    f.push(Buffer.from('12345678'));
    expect(f.next()).toBeNull();
    f.push(Buffer.from('9'));
    expect(() => f.next()).toThrow(NulFramingError);
  });

  it('accepts a message exactly at the limit', () => {
    const f = new NulFramer({ maxMessageBytes: 8 });
    f.push(Buffer.from('1234'));
    f.push(Buffer.from('5678\0'));
    expect(collect(f)).toEqual(['12345678']);
  });

  it('searches each byte once for a large message in small chunks', () => {
    const f = new NulFramer();
    const chunk = Buffer.alloc(4096, 0x61);
    const start = performance.now();
    for (let i = 0; i < 4096; i++) {
      f.push(chunk);
      expect(f.next()).toBeNull();
    }
    f.push(Buffer.from([0]));
    expect(f.next()?.length).toBe(16 * 1024 * 1024);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
