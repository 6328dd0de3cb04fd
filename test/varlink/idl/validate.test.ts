import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkParameters,
  checkValue,
  parseInterface,
  parseVarlinkJson,
  validateParameters,
  VarlinkValidationError,
  type VarlinkStructType,
} from '../../../src/varlink/idl/index.js';

const iface = parseInterface(`interface com.example.validate

type Point (x: int, y: int)

type Colour (red, green)

method Everything(
  b: ?bool,
  i: ?int,
  f: ?float,
  s: ?string,
  o: ?object,
  a: ?any,
  e: ?Colour,
  arr: ?[]int,
  m: ?[string]float,
  set: ?[string](),
  p: ?Point,
  pts: ?[]Point,
  deep: ?(inner: [string](list: []?Point))
) -> ()

method Required(name: string, count: int, anything: any) -> ()

error Failed (reason: string)
`);

const input = (name: string): VarlinkStructType => {
  const m = iface.methods.get(name);
  if (!m) throw new Error(name);
  return m.input;
};
const everything = input('Everything');
const required = input('Required');

function problem(struct: VarlinkStructType, value: unknown, unknownFields?: 'reject' | 'ignore') {
  const e = checkParameters(iface, struct, value, unknownFields ? { unknownFields } : {});
  return e && { field: e.field, parameter: e.parameter, reason: e.reason };
}

describe('checkParameters', () => {
  it('accepts absent, null and empty parameters when every field is nullable', () => {
    expect(problem(everything, undefined)).toBeUndefined();
    expect(problem(everything, null)).toBeUndefined();
    expect(problem(everything, {})).toBeUndefined();
  });

  it('treats an absent nullable field like null, but an empty array or object as a value', () => {
    expect(problem(everything, { b: null, arr: [], m: {}, set: {} })).toBeUndefined();
  });

  it('reports a missing non-nullable field by name', () => {
    expect(problem(required, { name: 'x', anything: 1 })).toEqual({ field: 'count', parameter: 'count', reason: 'is missing' });
    expect(problem(required, { name: null, count: 1, anything: 1 })).toMatchObject({ parameter: 'name', reason: 'must not be null' });
  });

  it('rejects unknown fields by default and ignores them on request', () => {
    expect(problem(everything, { extra: 1 })).toEqual({ field: 'extra', parameter: 'extra', reason: 'is not a declared field' });
    expect(problem(everything, { p: { x: 1, y: 2, z: 3 } })).toMatchObject({ field: 'p.z', parameter: 'p' });
    expect(problem(everything, { extra: 1, p: { x: 1, y: 2, z: 3 } }, 'ignore')).toBeUndefined();
    // An own property holding undefined is JavaScript's way of leaving a field out.
    expect(problem(everything, { extra: undefined })).toBeUndefined();
  });

  it('rejects parameters that are not an object', () => {
    expect(problem(everything, [])).toMatchObject({ field: '', parameter: '', reason: 'expected struct (object), got array' });
    expect(problem(everything, 'x')).toMatchObject({ parameter: '' });
  });

  it('checks bool, string and float strictly', () => {
    expect(problem(everything, { b: 1 })).toMatchObject({ parameter: 'b', reason: 'expected bool, got integer' });
    expect(problem(everything, { s: 1 })).toMatchObject({ parameter: 's' });
    expect(problem(everything, { f: 1.5 })).toBeUndefined();
    expect(problem(everything, { f: 3 })).toBeUndefined();
    expect(problem(everything, { f: 2n ** 70n })).toBeUndefined();
    expect(problem(everything, { f: Number.NaN })).toMatchObject({ parameter: 'f', reason: 'NaN is not a valid float' });
    expect(problem(everything, { f: Infinity })).toMatchObject({ parameter: 'f' });
    expect(problem(everything, { f: '1.5' })).toMatchObject({ parameter: 'f' });
  });

  describe('int', () => {
    it.each([
      [0],
      [-42],
      [Number.MAX_SAFE_INTEGER],
      [Number.MIN_SAFE_INTEGER],
      [2n ** 63n - 1n],
      [-(2n ** 63n)],
      [2n ** 64n - 1n],
      ['18446744073709551615'],
      ['-9223372036854775808'],
      ['0'],
    ])('accepts %s', (i) => {
      expect(problem(everything, { i })).toBeUndefined();
    });

    it.each([
      [1.5, 'expected int, got number 1.5'],
      [2 ** 53, 'is outside the safe integer range: pass it as bigint'],
      [2n ** 64n, 'is outside the 64-bit integer range'],
      [-(2n ** 63n) - 1n, 'is outside the 64-bit integer range'],
      ['18446744073709551616', 'is outside the 64-bit integer range'],
      ['1.0', 'expected int, got string'],
      ['01', 'expected int, got string'],
      [' 1', 'expected int, got string'],
      ['', 'expected int, got string'],
      [true, 'expected int, got boolean'],
    ])('rejects %s', (i, reason) => {
      expect(problem(everything, { i })).toMatchObject({ parameter: 'i' });
      expect(problem(everything, { i })?.reason).toContain(reason);
    });

    it('keeps a 64-bit value from the wire exact through parseVarlinkJson', () => {
      const params = parseVarlinkJson('{"i": 18446744073709551615}') as { i: unknown };
      expect(params.i).toBe(18446744073709551615n);
      expect(problem(everything, params)).toBeUndefined();
    });
  });

  it('accepts enum names only', () => {
    expect(problem(everything, { e: 'green' })).toBeUndefined();
    expect(problem(everything, { e: 'blue' })).toMatchObject({ parameter: 'e', reason: "'blue' is not one of red, green" });
    expect(problem(everything, { e: 0 })).toMatchObject({ parameter: 'e' });
  });

  it('accepts any JSON object for object, but not arrays or scalars', () => {
    expect(problem(everything, { o: { anything: [1, { x: null }] } })).toBeUndefined();
    expect(problem(everything, { o: [] })).toMatchObject({ parameter: 'o', reason: 'expected object, got array' });
    expect(problem(everything, { o: 'x' })).toMatchObject({ parameter: 'o' });
  });

  it('accepts any value but null for any', () => {
    for (const anything of [0, false, '', [], {}, [null], 2n ** 64n]) {
      expect(problem(required, { name: 'n', count: 1, anything })).toBeUndefined();
    }
    expect(problem(required, { name: 'n', count: 1, anything: null })).toMatchObject({
      parameter: 'anything',
      reason: 'must not be null',
    });
  });

  it('checks array elements and names the index', () => {
    expect(problem(everything, { arr: [1, 2, 'three'] })).toMatchObject({ field: 'arr[2]', parameter: 'arr' });
    expect(problem(everything, { arr: { 0: 1 } })).toMatchObject({ field: 'arr', reason: 'expected array, got object' });
  });

  it('checks map values and names the key', () => {
    expect(problem(everything, { m: { a: 1.5, 'b c': 'x' } })).toMatchObject({ field: 'm["b c"]', parameter: 'm' });
    expect(problem(everything, { m: [] })).toMatchObject({ field: 'm' });
  });

  it('accepts a set whose values are all {}', () => {
    expect(problem(everything, { set: { a: {}, b: {} } })).toBeUndefined();
    expect(problem(everything, { set: { a: true } })).toMatchObject({ field: 'set.a', reason: 'expected struct (object), got boolean' });
    expect(problem(everything, { set: { a: { x: 1 } } })).toMatchObject({ field: 'set.a.x', reason: 'is not a declared field' });
    expect(problem(everything, { set: ['a'] })).toMatchObject({ field: 'set', reason: 'expected set (object), got array' });
  });

  it('names the full path of a problem deep inside named and anonymous structs', () => {
    const deep = { inner: { k: { list: [null, { x: 1, y: 2 }, { x: 1 }] } } };
    const e = checkParameters(iface, everything, { deep });
    expect(e).toBeInstanceOf(VarlinkValidationError);
    expect(e?.path).toEqual(['deep', 'inner', 'k', 'list', 2, 'y']);
    expect(e?.field).toBe('deep.inner.k.list[2].y');
    expect(e?.parameter).toBe('deep');
    expect(e?.code).toBe('ERR_VARLINK_INVALID_VALUE');
    expect(e?.message).toBe("invalid parameter 'deep.inner.k.list[2].y': is missing");
    expect(problem(everything, { pts: [{ x: 1, y: 1.5 }] })).toMatchObject({ field: 'pts[0].y', parameter: 'pts' });
  });

  it('validates error parameters against the error struct', () => {
    const failed = iface.errors.get('Failed')?.parameters;
    if (!failed) throw new Error('no error Failed');
    expect(checkParameters(iface, failed, { reason: 'disk full' })).toBeUndefined();
    expect(checkParameters(iface, failed, {})?.parameter).toBe('reason');
  });
});

describe('validateParameters', () => {
  it('throws the validation error, and returns quietly for a good value', () => {
    expect(() => validateParameters(iface, required, { name: 'n', count: '7', anything: 'x' })).not.toThrow();
    expect(() => validateParameters(iface, required, { name: 'n', count: 7 })).toThrow(VarlinkValidationError);
  });
});

describe('checkValue', () => {
  it('checks a bare type, with an empty path for a top-level mismatch', () => {
    expect(checkValue(iface, { kind: 'named', name: 'Colour' }, 'red')).toBeUndefined();
    const e = checkValue(iface, { kind: 'int' }, 'x');
    expect([e?.field, e?.parameter, e?.message]).toEqual(['', '', 'expected int, got string']);
  });

  it('reports a named type missing from a hand-built interface', () => {
    expect(checkValue(iface, { kind: 'named', name: 'Nope' }, {})?.reason).toBe(
      "type 'Nope' is not defined in com.example.validate",
    );
  });
});

describe('validating the certification interface', () => {
  const cert = parseInterface(
    readFileSync(fileURLToPath(new URL('../../fixtures/varlink/org.varlink.certification.varlink', import.meta.url)), 'utf8'),
  );
  const test10 = cert.methods.get('Test10')?.input;
  if (!test10) throw new Error('no Test10');
  const mytype = {
    object: { method: 'org.varlink.certification.Test09', parameters: { map: { foo: 'Foo', bar: 'Bar' } } },
    enum: 'two',
    struct: { first: 1, second: 'second' },
    array: ['one', 'two', 'three'],
    dictionary: { foo: 'Foo', bar: 'Bar' },
    stringset: { one: {}, two: {}, three: {} },
    interface: { foo: [null, { foo: 'foo', bar: 'bar' }, null, { one: 'foo', two: 'bar' }], anon: { foo: true, bar: false } },
  };

  it('accepts the value the certification server sends for Test09', () => {
    expect(checkParameters(cert, test10, { client_id: 'id', mytype })).toBeUndefined();
  });

  it('rejects a value not in the ?[]?[string](foo, bar, baz) enum, naming the path', () => {
    const bad = { ...mytype, interface: { ...mytype.interface, foo: [{ one: 'qux' }] } };
    expect(checkParameters(cert, test10, { client_id: 'id', mytype: bad })?.field).toBe('mytype.interface.foo[0].one');
  });
});
