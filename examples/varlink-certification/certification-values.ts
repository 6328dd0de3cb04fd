/**
 * The values the org.varlink.certification steps exchange (the same for every implementation): each
 * reply feeds the next call, and each side checks what it receives.
 */
import { isDeepStrictEqual } from 'node:util';

export const INTERFACE = 'org.varlink.certification';

export const TEST05_REPLY = { bool: false, int: 2, float: Math.PI, string: 'a lot of string' };
export const TEST06_REPLY = { struct: { ...TEST05_REPLY } };
export const TEST07_REPLY = { map: { foo: 'Foo', bar: 'Bar' } };
export const TEST08_REPLY = { set: { one: {}, two: {}, three: {} } };

/** MyType as Test09 returns it and Test10 expects it back. */
export const MY_TYPE = {
  object: { method: 'org.varlink.certification.Test09', parameters: { map: { foo: 'Foo', bar: 'Bar' } } },
  enum: 'two',
  struct: { first: 1, second: '2' },
  array: ['one', 'two', 'three'],
  dictionary: { foo: 'Foo', bar: 'Bar' },
  stringset: { one: {}, two: {}, three: {} },
  nullable: null,
  nullable_array_struct: null,
  interface: {
    foo: [null, { foo: 'foo', bar: 'bar' }, null, { one: 'foo', two: 'bar' }],
    anon: { foo: true, bar: false },
  },
};

/** The `more` replies of Test10, which Test11 sends back. */
export const TEST10_REPLIES = Array.from({ length: 10 }, (_, i) => `Reply number ${i + 1}`);

/**
 * Compares two decoded values the way Varlink means them: object key order does not matter, and a
 * null field equals an absent one (except inside arrays, where null is an element).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    const item = (v as Record<string, unknown>)[key];
    if (item !== null && item !== undefined) out[key] = normalize(item);
  }
  return out;
}
