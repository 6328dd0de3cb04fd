/**
 * `npm run bench [-- --quick] [--json]`: measures our stack and its baselines side by side in one run
 * and prints a table (or one JSON object). Targets are reported as PASS/MISS; a miss never fails the run.
 */
import { openSync, closeSync } from 'node:fs';
import { cManyFdsUs, cRoundTripUs } from './baselines/c-floor.js';
import { connectNetJson, netJsonInProcess } from './baselines/net-json.js';
import { netRawBulkMibPerSecond } from './baselines/net-raw-echo.js';
import { connectUsocket, usocketInProcess } from './baselines/usocket.js';
import type { BenchClient } from './bench-client.js';
import { startChildServer } from './child-server.js';
import { buildCases, formatTable } from './report.js';
import { Measurements } from './measurements.js';
import { parseOptions } from './options.js';
import { CASES, M } from './case-list.js';
import { connectOurs, fdsDelivered, oursInProcess } from './cases/ours-jsonrpc.js';
import { compileOurs, loadOurs } from './ours-modules.js';
import { rawTransportBulkMibPerSecond } from './cases/ours-raw-bulk.js';
import { rawTransportInProcess } from './cases/ours-raw-transport.js';
import { MANY_FDS } from './payload.js';
import { socketPath } from './socket-path.js';
import { bulkMibPerSecond, manyFdsUs, pipelinedPerSecond, roundTripUs } from './workloads.js';

const opts = parseOptions(process.argv.slice(2));
// Progress goes to stderr so that `--json` output on stdout stays one clean object.
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const m = new Measurements(opts.only, log);
const notes: string[] = [];
const { iterations, rounds } = opts;
// Two-process round trips wait on cross-CPU wake-ups (tens of µs): fewer iterations keep the run short.
const crossIterations = Math.max(100, Math.floor(iterations / 4));

/** An fd to send with requests (borrowed: the same one every time, as a caller passing a file would). */
const devNull = openSync('/dev/null', 'r');
const manyFds = Array.from({ length: MANY_FDS }, () => openSync('/dev/null', 'r'));

/** Opens a client, runs `body` if any of `names` is wanted, closes it. */
async function withClient(names: readonly string[], open: () => Promise<BenchClient>, body: (c: BenchClient) => Promise<void>): Promise<void> {
  if (!names.some((n) => m.wants(n))) return;
  let client: BenchClient;
  try {
    client = await open();
  } catch (err) {
    for (const name of names) m.failures.push({ name, error: `setup: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  try {
    await body(client);
  } finally {
    await client.close();
  }
}

/** Starts `script` as a child server on a fresh path, connects with `connectTo`, runs `body`. */
async function withChild(
  names: readonly string[],
  script: string,
  scriptArgs: readonly string[],
  connectTo: (path: string) => Promise<BenchClient>,
  body: (c: BenchClient) => Promise<void>,
): Promise<void> {
  if (!names.some((n) => m.wants(n))) return;
  const where = socketPath('child');
  const child = await startChildServer(script, [where.path, ...scriptArgs]);
  try {
    await withClient(names, () => connectTo(where.path), body);
  } finally {
    await child.stop();
    where.remove();
  }
}

log('C floor (bench/c/pingpong.c)');
await m.measure(M.cInline0, 'µs', 'lower', () => cRoundTripUs('inline', 0, iterations * 2, rounds));
await m.measure(M.cInline1, 'µs', 'lower', () => cRoundTripUs('inline', 1, iterations * 2, rounds));
await m.measure(M.cPinned0, 'µs', 'lower', () => cRoundTripUs('pinned', 0, iterations * 2, rounds));
await m.measure(M.cPinned1, 'µs', 'lower', () => cRoundTripUs('pinned', 1, iterations * 2, rounds));
await m.measure(M.cFork0, 'µs', 'lower', () => cRoundTripUs('fork', 0, crossIterations, rounds));
await m.measure(M.cFork1, 'µs', 'lower', () => cRoundTripUs('fork', 1, crossIterations, rounds));
await m.measure(M.cManyFds, 'µs', 'lower', () => cManyFdsUs('pinned', MANY_FDS, opts.manyFds, rounds));

log('node net + newline-delimited JSON-RPC');
await withClient([M.netRt, M.netPipe, M.netBulk], netJsonInProcess, async (c) => {
  await m.measure(M.netRt, 'µs', 'lower', () => roundTripUs(c, iterations, rounds));
  await m.measure(M.netPipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
  await m.measure(M.netBulk, 'MiB/s', 'higher', () => bulkMibPerSecond(c, opts.bulk, rounds));
});
await m.measure(M.netRawBulk, 'MiB/s', 'higher', () => netRawBulkMibPerSecond(opts.bulk, rounds));
await withChild([M.net2Rt, M.net2Pipe], 'net-json-server.ts', [], connectNetJson, async (c) => {
  await m.measure(M.net2Rt, 'µs', 'lower', () => roundTripUs(c, crossIterations, rounds));
  await m.measure(M.net2Pipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
});

log('usocket + newline-delimited JSON-RPC');
await withClient([M.usRt0, M.usRt1, M.usPipe], usocketInProcess, async (c) => {
  await m.measure(M.usRt0, 'µs', 'lower', () => roundTripUs(c, iterations, rounds));
  await m.measure(M.usRt1, 'µs', 'lower', () => roundTripUs(c, iterations, rounds, [devNull]));
  await m.measure(M.usPipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
});
await withChild([M.us2Rt1, M.us2Pipe], 'usocket-server.ts', [], connectUsocket, async (c) => {
  await m.measure(M.us2Rt1, 'µs', 'lower', () => roundTripUs(c, crossIterations, rounds, [devNull]));
  await m.measure(M.us2Pipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
});

const oursFrom = opts.source ? 'source' : 'dist';
log(`ours: loading from ${oursFrom === 'dist' ? 'src/ compiled by tsc into bench/.build/dist/' : 'src/ via tsx'}`);
if (oursFrom === 'dist') await compileOurs();
const ours = await loadOurs(oursFrom);
notes.push(
  oursFrom === 'dist'
    ? 'ours ran from src/ compiled by tsc (bench/.build/dist/), the code users run'
    : 'ours ran from src/ via tsx (--source): esbuild keepNames adds __name() calls to our closures',
);

log('ours: raw UnixSocket (no JSON-RPC)');
await withClient([M.rawRt0, M.rawRt1], async () => rawTransportInProcess(ours), async (c) => {
  await m.measure(M.rawRt0, 'µs', 'lower', () => roundTripUs(c, iterations, rounds));
  await m.measure(M.rawRt1, 'µs', 'lower', () => roundTripUs(c, iterations, rounds, [devNull]));
});
await m.measure(M.rawBulk, 'MiB/s', 'higher', () => rawTransportBulkMibPerSecond(ours, opts.bulk, rounds));

log('ours: JsonRpcPeer over UnixSocket');
if (m.wants(M.oursManyFds)) {
  const delivered = await fdsDelivered(ours, manyFds);
  if (delivered !== MANY_FDS) m.failures.push({ name: M.oursManyFds, error: `handler saw ${delivered} of ${MANY_FDS} fds` });
}
await withClient([M.oursRt0, M.oursRt1, M.oursPipe, M.oursBulk, M.oursManyFds], async () => oursInProcess(ours), async (c) => {
  await m.measure(M.oursRt0, 'µs', 'lower', () => roundTripUs(c, iterations, rounds));
  await m.measure(M.oursRt1, 'µs', 'lower', () => roundTripUs(c, iterations, rounds, [devNull]));
  await m.measure(M.oursPipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
  await m.measure(M.oursBulk, 'MiB/s', 'higher', () => bulkMibPerSecond(c, opts.bulk, rounds));
  await m.measure(M.oursManyFds, 'µs', 'lower', () => manyFdsUs(c, manyFds, opts.manyFds, rounds));
});
await withChild([M.ours2Rt0, M.ours2Rt1, M.ours2Pipe], 'ours-server.ts', [oursFrom], (path) => connectOurs(ours, path), async (c) => {
  await m.measure(M.ours2Rt0, 'µs', 'lower', () => roundTripUs(c, crossIterations, rounds));
  await m.measure(M.ours2Rt1, 'µs', 'lower', () => roundTripUs(c, crossIterations, rounds, [devNull]));
  await m.measure(M.ours2Pipe, 'req/s', 'higher', () => pipelinedPerSecond(c, opts.pipelined, rounds));
});

closeSync(devNull);
for (const fd of manyFds) closeSync(fd);

const cases = buildCases(CASES, m);
notes.push(
  'one-process targets compare with the C floor "pinned" (socketpair + fork, both on one CPU): the kernel ' +
    'cost plus a context switch per hop, without the bimodal cross-CPU wake-ups of "fork"',
  'net+JSON and usocket+JSON run a minimal newline-delimited JSON-RPC (frame, parse, stringify, match ids; ' +
    'no validation): a lower bound for a JSON-RPC stack on those sockets',
  'usocket is read through its documented read(size, fdCount) API, which drains its fd list; reading fds ' +
    "from its 'fds' event instead leaves that list growing (concat per message) and gets slower with every message",
  '16 MiB echo: MiB of payload per second, one request carrying a 16 MiB string and its reply carrying it back',
  '2-proc round trips measure scheduler wake-ups on this machine and are bimodal; prefer the pipelined rows',
);
if (opts.json) {
  const measurements = [...m.byName.values()];
  process.stdout.write(`${JSON.stringify({ cases, measurements, failures: m.failures, notes, options: opts }, null, 2)}\n`);
} else {
  process.stdout.write(`\n${formatTable(m, cases, notes)}\n`);
}
