/**
 * The org.varlink.certification client: runs Start, Test01…Test11, End against a service (e.g.
 * varlink-go's `varlink-go-certification --varlink=ADDRESS`) and checks every reply.
 *
 *   npx tsx examples/varlink-certification/client.ts unix:/run/cert.sock
 *
 * Exits 0 only when every step passed.
 */
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import type { VarlinkParameters } from '../../src/varlink/varlink-message.js';
import {
  CERTIFICATION_INTERFACE as INTERFACE,
  MY_TYPE,
  sameValue,
  SIMPLE_STEPS,
  TEST08_REPLY,
  TEST10_REPLIES,
  withoutInterfaceFoo,
} from '../../src/conformance/varlink/certification-values.js';

const address = process.argv[2];
if (address === undefined) {
  console.error('usage: client.ts ADDRESS');
  process.exit(2);
}

let failed = false;
function check(name: string, got: unknown, wants: unknown): void {
  const ok = sameValue(got, wants);
  console.log(`${name}: ${ok ? 'ok' : 'FAILED'} ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  if (!ok) failed = true;
}

const client = await VarlinkClient.connect(address);
try {
  const m = (name: string): string => `${INTERFACE}.${name}`;
  const start = await client.call(m('Start'));
  const clientId = start.parameters['client_id'];
  check('Start', typeof clientId === 'string' && clientId.length > 0, true);
  const id = { client_id: clientId };
  const call = async (name: string, params: VarlinkParameters, wants: VarlinkParameters): Promise<void> => {
    check(name, (await client.call(m(name), { ...id, ...params })).parameters, wants);
  };
  // Test01…Test08: each reply is the next call's parameters.
  for (const { method, parameters, reply } of SIMPLE_STEPS) await call(method, parameters, reply);
  // Each reply feeds the next call: Test10 gets back the MyType exactly as Test09 returned it.
  const mytype = (await client.call(m('Test09'), { ...id, ...TEST08_REPLY })).parameters['mytype'];
  check('Test09', withoutInterfaceFoo(mytype), withoutInterfaceFoo(MY_TYPE));
  const replies: string[] = [];
  const continues: boolean[] = [];
  for await (const r of client.stream(m('Test10'), { ...id, mytype })) {
    replies.push(r.parameters['string'] as string);
    continues.push(r.continues);
  }
  check('Test10', { replies, continues }, { replies: TEST10_REPLIES, continues: TEST10_REPLIES.map((_, i) => i < 9) });
  await client.send(m('Test11'), { ...id, last_more_replies: replies });
  console.log('Test11: sent (oneway)');
  await call('End', {}, { all_ok: true });
} catch (err) {
  console.log(`FAILED: ${(err as Error).message}`);
  failed = true;
} finally {
  await client.close();
}
console.log(failed ? 'certification FAILED' : 'certification passed');
process.exit(failed ? 1 : 0);
