/**
 * The org.varlink.certification service, for checking Varlink clients (e.g. varlink-go's
 * `varlink-go-certification --client`) against this library.
 *
 *   npx tsx examples/varlink-certification/server.ts unix:/run/cert.sock
 *
 * Prints `listening on ADDRESS` when ready. Without an address it serves a socket passed by socket
 * activation (which is how `exec:` addresses start it).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import type { VarlinkParameters } from '../../src/varlink/varlink-message.js';
import { VarlinkService, type VarlinkMethodHandler } from '../../src/varlink/varlink-service.js';
import {
  CERTIFICATION_INTERFACE as INTERFACE,
  MY_TYPE,
  sameValue,
  SIMPLE_STEPS,
  TEST08_REPLY,
  TEST10_REPLIES,
} from '../../src/conformance/varlink/certification-values.js';

const IDL = readFileSync(new URL('./org.varlink.certification.varlink', import.meta.url), 'utf8');

/** Which step each client is at: the method it must call next. */
const nextStep = new Map<string, string>();

function certificationError(wants: unknown, got: unknown): VarlinkError {
  return new VarlinkError(`${INTERFACE}.CertificationError`, { wants, got });
}

/** Checks that `client_id` is known and at step `step`, then moves it to `next`. */
function advance(params: VarlinkParameters, step: string, next: string | undefined): string {
  const clientId = params['client_id'];
  if (typeof clientId !== 'string' || !nextStep.has(clientId)) throw new VarlinkError(`${INTERFACE}.ClientIdError`);
  const expected = nextStep.get(clientId);
  if (expected !== step) {
    nextStep.delete(clientId);
    throw certificationError({ method: `${INTERFACE}.${expected}` }, { method: `${INTERFACE}.${step}` });
  }
  if (next === undefined) nextStep.delete(clientId);
  else nextStep.set(clientId, next);
  return clientId;
}

/** A step that checks its parameters (besides client_id) and returns a fixed reply. */
function step(name: string, next: string, wants: VarlinkParameters, reply: VarlinkParameters): VarlinkMethodHandler {
  return (params) => {
    const clientId = advance(params, name, next);
    const { client_id: _id, ...got } = params;
    if (!sameValue(got, wants)) {
      nextStep.delete(clientId);
      throw certificationError({ method: `${INTERFACE}.${name}`, parameters: { client_id: clientId, ...wants } }, params);
    }
    return reply;
  };
}

const service = new VarlinkService({
  vendor: 'jsonrpc-fdpass',
  product: 'Varlink certification service',
  version: '1',
  url: 'https://varlink.org',
});

service.addInterface(IDL, {
  Start: () => {
    const clientId = randomBytes(16).toString('hex');
    nextStep.set(clientId, 'Test01');
    return { client_id: clientId };
  },
  // Test01…Test08, each followed by the next one (Test08 by Test09).
  ...Object.fromEntries(
    SIMPLE_STEPS.map(({ method, parameters, reply }, i) => [method, step(method, SIMPLE_STEPS[i + 1]?.method ?? 'Test09', parameters, reply)]),
  ),
  Test09: step('Test09', 'Test10', TEST08_REPLY, { mytype: MY_TYPE }),
  Test10: async function* (params, ctx) {
    const clientId = advance(params, 'Test10', 'Test11');
    if (!ctx.more || !sameValue(params['mytype'], MY_TYPE)) {
      nextStep.delete(clientId);
      throw certificationError({ method: `${INTERFACE}.Test10`, more: true, parameters: { client_id: clientId, mytype: MY_TYPE } }, params);
    }
    for (const s of TEST10_REPLIES.slice(0, -1)) yield { string: s };
    return { string: TEST10_REPLIES.at(-1)! };
  },
  Test11: (params, ctx) => {
    const clientId = advance(params, 'Test11', 'End');
    // A oneway call gets no reply, so a failure can only show at End.
    if (!ctx.oneway || !sameValue(params['last_more_replies'], TEST10_REPLIES)) nextStep.set(clientId, 'Failed');
  },
  End: (params) => {
    advance(params, 'End', undefined);
    return { all_ok: true };
  },
});

const address = process.argv[2];
const server = address === undefined ? await service.listenActivated() : await service.listen(address);
if (server === undefined) {
  console.error('usage: server.ts ADDRESS (or start it with socket activation)');
  process.exit(2);
}
if (address !== undefined) console.log(`listening on ${address}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
await server.closed;
