import type { VarlinkClient } from '../../varlink/varlink-client.js';
import type { VarlinkParameters } from '../../varlink/varlink-message.js';
import { CaseFailure } from '../live/live-case.js';
import {
  CERTIFICATION_INTERFACE,
  MY_TYPE,
  sameValue,
  SIMPLE_STEPS,
  TEST08_REPLY,
  TEST10_REPLIES,
  withoutInterfaceFoo,
} from './certification-values.js';

function expectReply(step: string, got: unknown, wants: unknown): void {
  if (!sameValue(got, wants)) {
    throw new CaseFailure(`${step} replied ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}, expected ${JSON.stringify(wants)}`);
  }
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
  const step = async (name: string, params: VarlinkParameters, wants: VarlinkParameters): Promise<void> => {
    const { parameters } = await client.call(m(name), { ...id, ...params }, options);
    expectReply(name, parameters, wants);
  };
  for (const { method, parameters, reply } of SIMPLE_STEPS) await step(method, parameters, reply);
  const test09 = await client.call(m('Test09'), { ...id, ...TEST08_REPLY }, options);
  const mytype = test09.parameters['mytype'];
  expectReply('Test09', withoutInterfaceFoo(mytype), withoutInterfaceFoo(MY_TYPE));
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
