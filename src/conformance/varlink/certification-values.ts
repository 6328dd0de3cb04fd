/**
 * The values the org.varlink.certification steps exchange (the same for every implementation): each
 * reply feeds the next call, and each side checks what it receives. Used by the certification run of
 * `conformance --varlink` and by the certification client and service in examples/varlink-certification.
 */
import { isDeepStrictEqual } from 'node:util';
import type { VarlinkParameters } from '../../varlink/varlink-message.js';

/** The certification interface: Start, Test01…Test11, End, each reply feeding the next call. */
export const CERTIFICATION_INTERFACE = 'org.varlink.certification';

/** The reply to Test05, and the parameters of Test06. */
export const TEST05_REPLY = { bool: false, int: 2, float: Math.PI, string: 'a lot of string' };
/** The reply to Test06, and the parameters of Test07. */
export const TEST06_REPLY = { struct: { ...TEST05_REPLY } };
/** The reply to Test07, and the parameters of Test08. */
export const TEST07_REPLY = { map: { foo: 'Foo', bar: 'Bar' } };
/** The reply to Test08, and the parameters of Test09. */
export const TEST08_REPLY = { set: { one: {}, two: {}, three: {} } };

/** A step that takes fixed parameters (besides `client_id`) and gives a fixed reply. */
export interface CertificationStep {
  readonly method: string;
  readonly parameters: VarlinkParameters;
  readonly reply: VarlinkParameters;
}

/** Test01…Test08, in order: each reply is the next call's parameters (Test09 comes after Test08). */
export const SIMPLE_STEPS: readonly CertificationStep[] = [
  { method: 'Test01', parameters: {}, reply: { bool: true } },
  { method: 'Test02', parameters: { bool: true }, reply: { int: 1 } },
  { method: 'Test03', parameters: { int: 1 }, reply: { float: 1.0 } },
  { method: 'Test04', parameters: { float: 1.0 }, reply: { string: 'ping' } },
  { method: 'Test05', parameters: { string: 'ping' }, reply: TEST05_REPLY },
  { method: 'Test06', parameters: TEST05_REPLY, reply: TEST06_REPLY },
  { method: 'Test07', parameters: TEST06_REPLY, reply: TEST07_REPLY },
  { method: 'Test08', parameters: TEST07_REPLY, reply: TEST08_REPLY },
];

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

/**
 * MyType without `interface.foo`: services disagree on that map's keys (the Python reference uses
 * `foo`/`bar`, varlink-go `Foo`/`Bar`), and the certification only asks that it is passed back as is.
 * Compare Test09's reply with {@link sameValue} after this.
 */
export function withoutInterfaceFoo(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const t = v as { interface?: Record<string, unknown> };
  return { ...t, interface: { ...t.interface, foo: undefined } };
}
