import { openSync } from 'node:fs';
import { Fd } from '../../transport/fd.js';
import { parseInterface } from '../../varlink/idl/parse-interface.js';
import { VarlinkIdlError } from '../../varlink/idl/varlink-idl-error.js';
import { checkReply, type VarlinkReply } from '../../varlink/varlink-message.js';
import { CaseFailure, CaseSkip } from '../live/live-case.js';
import { certificationStart, runCertification } from './certification-run.js';
import { CERTIFICATION_INTERFACE } from './certification-values.js';
import type { RawVarlinkConnection } from './raw-varlink-connection.js';
import type { VarlinkCase, VarlinkCaseContext } from './varlink-case.js';

const SERVICE = 'org.varlink.service';
const GET_INFO = `${SERVICE}.GetInfo`;

/** Checks a raw message is a well-formed reply (UAPI.20 envelope) and returns it. */
function asReply(value: unknown, what: string): VarlinkReply {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CaseFailure(`${what}: the reply is not a JSON object: ${JSON.stringify(value)}`);
  }
  const checked = checkReply(value as Record<string, unknown>);
  if (!checked.ok) throw new CaseFailure(`${what}: malformed reply (${checked.reason}): ${JSON.stringify(value)}`);
  return checked.value;
}

async function expectReply(conn: RawVarlinkConnection, ctx: VarlinkCaseContext, what: string): Promise<VarlinkReply> {
  const message = await conn.receive(ctx.timeoutMs, what);
  Fd.closeAll(message.fds);
  return asReply(message.value, what);
}

function expectGetInfoReply(reply: VarlinkReply, what: string): void {
  if (reply.error !== undefined) throw new CaseFailure(`${what}: GetInfo failed with ${reply.error}`);
  if (!Array.isArray(reply.parameters['interfaces'])) {
    throw new CaseFailure(`${what}: GetInfo reply has no interfaces: ${JSON.stringify(reply.parameters)}`);
  }
}

/** A call to GetInfo on a fresh connection must work: the service is still up. */
async function expectStillServing(ctx: VarlinkCaseContext, after: string): Promise<void> {
  let conn: RawVarlinkConnection;
  try {
    conn = await ctx.open();
  } catch (error) {
    throw new CaseFailure(`no new connection after ${after}: ${error instanceof Error ? error.message : String(error)}`);
  }
  await conn.send({ method: GET_INFO });
  expectGetInfoReply(await expectReply(conn, ctx, `GetInfo on a new connection after ${after}`), `after ${after}`);
}

async function expectError(ctx: VarlinkCaseContext, call: Record<string, unknown>, error: string): Promise<void> {
  const conn = await ctx.open();
  await conn.send(call);
  const reply = await expectReply(conn, ctx, `${String(call['method'])}`);
  if (reply.error !== error) {
    throw new CaseFailure(`expected error ${error}, got ${reply.error === undefined ? `a reply ${JSON.stringify(reply.parameters)}` : reply.error}`);
  }
  if (reply.continues) throw new CaseFailure('an error reply must not continue');
}

/**
 * A message the service must answer by closing the connection. A valid GetInfo call follows it in the
 * same write, so a service that carries on answers at once instead of making us wait for a timeout.
 */
function malformed(name: string, text: string): VarlinkCase {
  return {
    name: `malformed/${name}`,
    async run(ctx) {
      const conn = await ctx.open();
      await conn.write(`${text}\0${JSON.stringify({ method: GET_INFO })}\0`).catch(() => undefined);
      const reply = conn.receive(ctx.closeTimeoutMs, 'after the malformed call').then(
        (m) => {
          Fd.closeAll(m.fds);
          return m.value;
        },
        () => undefined,
      );
      const answered = await reply;
      if (answered !== undefined) {
        throw new CaseFailure(`the service answered instead of closing the connection: ${JSON.stringify(answered).slice(0, 200)}`);
      }
      if (!(await conn.closedWithin(ctx.closeTimeoutMs))) {
        throw new CaseFailure(`the connection is still open ${ctx.closeTimeoutMs} ms after the malformed call`);
      }
      conn.destroy();
      await expectStillServing(ctx, `${name}`);
    },
  };
}

/** The cases, in the order they run. */
export const varlinkCases: readonly VarlinkCase[] = [
  {
    name: 'get-info',
    async run(ctx) {
      const conn = await ctx.open();
      await conn.send({ method: GET_INFO });
      const reply = await expectReply(conn, ctx, 'GetInfo');
      expectGetInfoReply(reply, 'GetInfo');
      const p = reply.parameters;
      for (const key of ['vendor', 'product', 'version', 'url']) {
        if (typeof p[key] !== 'string') throw new CaseFailure(`GetInfo: "${key}" is not a string: ${JSON.stringify(p[key])}`);
      }
      const interfaces = p['interfaces'] as unknown[];
      if (!interfaces.every((i) => typeof i === 'string')) throw new CaseFailure('GetInfo: "interfaces" holds a non-string');
      if (!interfaces.includes(SERVICE)) throw new CaseFailure(`GetInfo: "interfaces" lacks ${SERVICE}`);
    },
  },
  {
    name: 'interface-descriptions',
    async run(ctx) {
      const client = await ctx.client();
      for (const name of await ctx.interfaces()) {
        const { parameters } = await client.call(`${SERVICE}.GetInterfaceDescription`, { interface: name }, { timeoutMs: ctx.timeoutMs });
        const text = parameters['description'];
        if (typeof text !== 'string') throw new CaseFailure(`${name}: the description is not a string`);
        let parsedName: string;
        try {
          parsedName = parseInterface(text).name;
        } catch (error) {
          if (error instanceof VarlinkIdlError) throw new CaseFailure(`${name}: the description does not parse: ${error.message}`);
          throw error;
        }
        if (parsedName !== name) throw new CaseFailure(`the description of ${name} declares interface ${parsedName}`);
      }
    },
  },
  {
    name: 'certification',
    async run(ctx) {
      if (!(await ctx.interfaces()).includes(CERTIFICATION_INTERFACE)) {
        throw new CaseSkip(`the service does not implement ${CERTIFICATION_INTERFACE}`);
      }
      await runCertification(await ctx.client(), { timeoutMs: ctx.timeoutMs });
    },
  },
  {
    name: 'more-call',
    async run(ctx) {
      // A method that does not stream still answers a `more` call, with one final reply.
      const certified = (await ctx.interfaces()).includes(CERTIFICATION_INTERFACE);
      const conn = await ctx.open();
      let call: Record<string, unknown> = { method: GET_INFO, more: true };
      if (certified) {
        const clientId = await certificationStart(await ctx.client(), { timeoutMs: ctx.timeoutMs });
        call = { method: `${CERTIFICATION_INTERFACE}.Test01`, parameters: { client_id: clientId }, more: true };
      }
      await conn.send(call);
      for (let n = 1; ; n++) {
        const reply = await expectReply(conn, ctx, `${String(call['method'])} with more, reply ${n}`);
        if (reply.error !== undefined) {
          if (reply.continues) throw new CaseFailure('an error reply must not continue');
          throw new CaseFailure(`${String(call['method'])} with more failed with ${reply.error}`);
        }
        if (reply.continues) continue;
        if (certified && reply.parameters['bool'] !== true) {
          throw new CaseFailure(`Test01 with more: last reply ${JSON.stringify(reply.parameters)}, expected {"bool":true}`);
        }
        return;
      }
    },
  },
  {
    name: 'oneway-no-reply',
    async run(ctx) {
      const conn = await ctx.open();
      await conn.write(`${JSON.stringify({ method: GET_INFO, oneway: true })}\0${JSON.stringify({ method: GET_INFO })}\0`);
      expectGetInfoReply(await expectReply(conn, ctx, 'GetInfo after a oneway GetInfo'), 'GetInfo after a oneway GetInfo');
      const extra = await conn.collectFor(Math.min(ctx.timeoutMs, 200));
      if (extra.length > 0) throw new CaseFailure(`a oneway call was answered: ${JSON.stringify(extra[0]).slice(0, 200)}`);
    },
  },
  {
    name: 'pipelined-calls',
    async run(ctx) {
      const conn = await ctx.open();
      const first = { method: `${SERVICE}.GetInterfaceDescription`, parameters: { interface: SERVICE } };
      await conn.write(`${JSON.stringify(first)}\0${JSON.stringify({ method: GET_INFO })}\0`);
      const a = await expectReply(conn, ctx, 'first of two pipelined calls');
      if (typeof a.parameters['description'] !== 'string') throw new CaseFailure(`first reply is not the description: ${JSON.stringify(a).slice(0, 200)}`);
      expectGetInfoReply(await expectReply(conn, ctx, 'second of two pipelined calls'), 'second pipelined call');
    },
  },
  {
    name: 'unknown-method',
    run: (ctx) => expectError(ctx, { method: `${SERVICE}.NoSuchMethodForConformance` }, `${SERVICE}.MethodNotFound`),
  },
  {
    name: 'unknown-interface',
    run: (ctx) => expectError(ctx, { method: 'com.example.conformance.absent.Method' }, `${SERVICE}.InterfaceNotFound`),
  },
  {
    name: 'vendor-key-ignored',
    async run(ctx) {
      const conn = await ctx.open();
      await conn.send({ method: GET_INFO, 'com.example.conformance': { note: 'unknown vendor extension' } });
      expectGetInfoReply(await expectReply(conn, ctx, 'GetInfo with a vendor key'), 'GetInfo with a vendor key');
    },
  },
  malformed('invalid-json', '{"method": "org.varlink.service.GetInfo",'),
  malformed('not-an-object', '["org.varlink.service.GetInfo"]'),
  malformed('missing-method', '{"parameters": {}}'),
  malformed('non-boolean-flag', '{"method": "org.varlink.service.GetInfo", "more": "yes"}'),
  malformed('two-flags', '{"method": "org.varlink.service.GetInfo", "more": true, "oneway": true}'),
  malformed('unknown-key', '{"method": "org.varlink.service.GetInfo", "bogus": 1}'),
  {
    name: 'fd-passing',
    async run(ctx) {
      if (ctx.address.kind === 'tcp') throw new CaseSkip('a tcp: connection cannot carry fds');
      const conn = await ctx.open();
      const devNull = new Fd(openSync('/dev/null', 'r'));
      try {
        await conn.send({ method: GET_INFO }, [devNull]);
      } finally {
        devNull.close();
      }
      const message = await conn.receive(ctx.timeoutMs, 'GetInfo with an fd').catch(() => undefined);
      if (message === undefined) {
        if (conn.ended !== 'open') {
          await expectStillServing(ctx, 'a call with an fd');
          throw new CaseSkip('the service does not accept fds (it closed the connection): fd passing not enabled');
        }
        throw new CaseFailure(`neither a reply nor a close within ${ctx.timeoutMs} ms after a call with an fd`);
      }
      Fd.closeAll(message.fds);
      expectGetInfoReply(asReply(message.value, 'GetInfo with an fd'), 'GetInfo with an fd');
      // The fd belonged to the first call only: the next one, without fds, must work as usual.
      await conn.send({ method: GET_INFO });
      const next = await conn.receive(ctx.timeoutMs, 'GetInfo without fds after one with an fd');
      if (next.fds.length > 0) {
        Fd.closeAll(next.fds);
        throw new CaseFailure('a GetInfo reply carried fds');
      }
      expectGetInfoReply(asReply(next.value, 'second GetInfo'), 'GetInfo after a call with an fd');
    },
  },
];
