import { isDeepStrictEqual } from 'node:util';
import type { VarlinkClient } from '../../varlink/varlink-client.js';
import type { VarlinkParameters } from '../../varlink/varlink-message.js';
import { CaseFailure } from '../live/live-case.js';

/** The certification interface: Start, Test01…Test11, End, each reply feeding the next call. */
export const CERTIFICATION_INTERFACE = 'org.varlink.certification';

const TEST05 = { bool: false, int: 2, float: Math.PI, string: 'a lot of string' };
const TEST06 = { struct: { ...TEST05 } };
const TEST07 = { map: { foo: 'Foo', bar: 'Bar' } };
const TEST08 = { set: { one: {}, two: {}, three: {} } };
/** Test09's `mytype`, without `interface.foo`, whose map keys differ between implementations. */
const MY_TYPE_CHECKED = {
  object: { method: 'org.varlink.certification.Test09', parameters: { map: { foo: 'Foo', bar: 'Bar' } } },
  enum: 'two',
  struct: { first: 1, second: '2' },
  array: ['one', 'two', 'three'],
  dictionary: { foo: 'Foo', bar: 'Bar' },
  stringset: { one: {}, two: {}, three: {} },
  interface: { anon: { foo: true, bar: false } },
};
const TEST10_REPLIES = Array.from({ length: 10 }, (_, i) => `Reply number ${i + 1}`);

/** Varlink equality: key order does not matter, a null field equals an absent one. */
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

function expectReply(step: string, got: unknown, wants: unknown): void {
  if (!isDeepStrictEqual(normalize(got), normalize(wants))) {
    throw new CaseFailure(`${step} replied ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}, expected ${JSON.stringify(wants)}`);
  }
}

function withoutInterfaceFoo(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const t = v as { interface?: Record<string, unknown> };
  return { ...t, interface: { ...t.interface, foo: undefined } };
}

/** Starts a certification client; returns its client_id. */
export async function certificationStart(client: VarlinkClient, options: { timeoutMs: number }): Promise<string> {
  const start = await client.call(`${CERTIFICATION_INTERFACE}.Start`, {}, options);
  const id = start.parameters['client_id'];
  if (typeof id !== 'string' || id === '') throw new CaseFailure(`Start replied without a client_id: ${JSON.stringify(start.parameters)}`);
  return id;
}

/** Runs the whole certification as a client, checking every reply; throws CaseFailure at the first wrong one. */
export async function runCertification(client: VarlinkClient, options: { timeoutMs: number }): Promise<void> {
  const m = (name: string): string => `${CERTIFICATION_INTERFACE}.${name}`;
  const clientId = await certificationStart(client, options);
  const id = { client_id: clientId };
  const step = async (name: string, params: VarlinkParameters, wants: VarlinkParameters): Promise<VarlinkParameters> => {
    const { parameters } = await client.call(m(name), { ...id, ...params }, options);
    expectReply(name, parameters, wants);
    return parameters;
  };
  await step('Test01', {}, { bool: true });
  await step('Test02', { bool: true }, { int: 1 });
  await step('Test03', { int: 1 }, { float: 1.0 });
  await step('Test04', { float: 1.0 }, { string: 'ping' });
  await step('Test05', { string: 'ping' }, TEST05);
  await step('Test06', TEST05, TEST06);
  await step('Test07', TEST06, TEST07);
  await step('Test08', TEST07, TEST08);
  const test09 = await client.call(m('Test09'), { ...id, ...TEST08 }, options);
  const mytype = test09.parameters['mytype'];
  expectReply('Test09', withoutInterfaceFoo(mytype), MY_TYPE_CHECKED);
  const replies: unknown[] = [];
  const continues: boolean[] = [];
  for await (const r of client.stream(m('Test10'), { ...id, mytype }, options)) {
    replies.push(r.parameters['string']);
    continues.push(r.continues);
  }
  expectReply('Test10 (more)', { replies, continues }, { replies: TEST10_REPLIES, continues: TEST10_REPLIES.map((_, i) => i < 9) });
  await client.send(m('Test11'), { ...id, last_more_replies: replies });
  await step('End', {}, { all_ok: true });
}
