import { describe, expect, it } from 'vitest';
import { parseVarlinkJson, stringifyVarlinkJson, VarlinkJsonError } from '../../../src/varlink/idl/index.js';

describe('parseVarlinkJson', () => {
  it('parses ordinary messages like JSON.parse', () => {
    const text = '{"method":"org.example.ftl.Jump","parameters":{"speed":42,"x":-1.5e3,"s":"\\u003e","a":[true,false,null]}}';
    expect(parseVarlinkJson(text)).toEqual(JSON.parse(text));
  });

  it('turns integers beyond the safe range into exact bigints', () => {
    expect(parseVarlinkJson('{"u":18446744073709551615,"s":-9223372036854775808,"ok":9007199254740991}')).toEqual({
      u: 18446744073709551615n,
      s: -9223372036854775808n,
      ok: 9007199254740991,
    });
    expect(parseVarlinkJson('[9007199254740992]')).toEqual([9007199254740992n]);
  });

  it('leaves numbers with a fraction or exponent as floats, and digits in strings alone', () => {
    expect(parseVarlinkJson('[12345678901234567890.5, 1e30, "12345678901234567890"]')).toEqual([
      12345678901234567890.5,
      1e30,
      '12345678901234567890',
    ]);
  });

  it('handles escapes, nesting and whitespace on the slow path', () => {
    const text = ' { "a\\"b" : [ {"k":"\\\\"}, "x\\u0041" ] , "n" : 12345678901234567890 } ';
    expect(parseVarlinkJson(text)).toEqual({ 'a"b': [{ k: '\\' }, 'xA'], n: 12345678901234567890n });
  });

  it('keeps a "__proto__" key as data instead of changing the prototype', () => {
    const value = parseVarlinkJson('{"__proto__":{"polluted":1},"n":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'n']);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each([
    ['{"a":1,}'],
    ['{"a":12345678901234567890,}'],
    ['[12345678901234567890'],
    ['[12345678901234567890] x'],
    ['{"a" 12345678901234567890}'],
    ['[01234567890123456789]'],
    ['["\\x", 12345678901234567890]'],
    ['[-, 12345678901234567890]'],
    [''],
  ])('rejects malformed %j with VarlinkJsonError', (text) => {
    expect(() => parseVarlinkJson(text)).toThrow(VarlinkJsonError);
  });
});

describe('stringifyVarlinkJson', () => {
  it('writes like JSON.stringify when there is no bigint', () => {
    const value = { a: [1, 'x', null, { b: undefined, c: true }], d: undefined };
    expect(stringifyVarlinkJson(value)).toBe(JSON.stringify(value));
  });

  it('writes bigints as plain integers, everywhere', () => {
    const value = { u: 2n ** 64n - 1n, list: [-(2n ** 63n), 1, undefined], nested: { small: 5n, skip: undefined } };
    expect(stringifyVarlinkJson(value)).toBe(
      '{"u":18446744073709551615,"list":[-9223372036854775808,1,null],"nested":{"small":5}}',
    );
  });

  it('round-trips with parseVarlinkJson without losing precision', () => {
    const value = { id: 18446744073709551615n, neg: -12345678901234567890n, f: 0.1, s: 'ä\u0000"' };
    expect(parseVarlinkJson(stringifyVarlinkJson(value))).toEqual(value);
  });

  it('honours toJSON on the slow path', () => {
    expect(stringifyVarlinkJson({ when: new Date(0), n: 1n })).toBe('{"when":"1970-01-01T00:00:00.000Z","n":1}');
  });

  it.each([[Number.NaN], [Infinity], [-Infinity]])('refuses the non-finite number %s', (n) => {
    expect(() => stringifyVarlinkJson({ f: n })).toThrow(VarlinkJsonError);
    expect(() => stringifyVarlinkJson({ f: n, big: 1n })).toThrow(VarlinkJsonError);
  });

  it('refuses cycles and values with no JSON form', () => {
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    expect(() => stringifyVarlinkJson(cyclic)).toThrow(VarlinkJsonError);
    expect(() => stringifyVarlinkJson(undefined)).toThrow(VarlinkJsonError);
  });
});
