/**
 * `npm run bench [-- --quick] [--json]`: measures our stack and its baselines side by side in one run
 * and prints a table (or one JSON object). Targets are reported as PASS/MISS; a miss never fails the run.
 */
import { closeSync, openSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { buildCFloor, cManyFdsRound, cRoundTripRound } from './baselines/c-floor.js';
import { connectNetJson, netJsonInProcess } from './baselines/net-json.js';
import { openNetRawBulk } from './baselines/net-raw-echo.js';
import { connectUsocket, usocketInProcess } from './baselines/usocket.js';
import type { BenchClient } from './bench-client.js';
import { CASES, M } from './case-list.js';
import { connectOurs, fdsDelivered, oursInProcess } from './cases/ours-jsonrpc.js';
import { openRawTransportBulk } from './cases/ours-raw-bulk.js';
import { rawTransportInProcess } from './cases/ours-raw-transport.js';
import { varlinkInProcess } from './cases/varlink-calls.js';
import { openVarlinkManyFds } from './cases/varlink-many-fds.js';
import { loadVarlinkModules } from './cases/varlink-modules.js';
import { startChildServer } from './child-server.js';
import { Measurements } from './measurements.js';
import { parseOptions } from './options.js';
import { compileOurs, loadOurs } from './ours-modules.js';
import { MANY_FDS } from './payload.js';
import { buildCases, formatTable } from './report.js';
import { socketPath } from './socket-path.js';
import { bulkRound, pipelinedRound, roundTripRound } from './workloads.js';

const opts = parseOptions(process.argv.slice(2));
// Progress goes to stderr so that `--json` output on stdout stays one clean object.
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const m = new Measurements(opts.only, log);
const notes: string[] = [];
const { iterations } = opts;
// Two-process round trips wait on cross-CPU wake-ups (tens of µs): fewer iterations keep the run short.
const crossIterations = Math.max(100, Math.floor(iterations / 4));
/** Everything opened for the run, closed in reverse order at the end. */
const closers: (() => Promise<void>)[] = [];

/** An fd to send with requests (borrowed: the same one every time, as a caller passing a file would). */
const devNull = openSync('/dev/null', 'r');
const manyFds = Array.from({ length: MANY_FDS }, () => openSync('/dev/null', 'r'));

/** Opens a client when any of `names` is wanted; `null` (and a recorded failure) when setup fails. */
async function client(names: readonly string[], open: () => Promise<BenchClient>): Promise<BenchClient | null> {
  if (!names.some((n) => m.wants(n))) return null;
  try {
    const c = await open();
    closers.push(() => c.close());
    return c;
  } catch (err) {
    for (const name of names) m.fail(name, err);
    return null;
  }
}

/** Starts `script` as a child server on a fresh path and connects to it with `connectTo`. */
async function childClient(
  names: readonly string[],
  script: string,
  scriptArgs: readonly string[],
  connectTo: (path: string) => Promise<BenchClient>,
): Promise<BenchClient | null> {
  return client(names, async () => {
    const where = socketPath('child');
    const child = await startChildServer(script, [where.path, ...scriptArgs]);
    closers.push(async () => {
      await child.stop();
      where.remove();
    });
    return connectTo(where.path);
  });
}

log('setting up');
await buildCFloor();
const oursFrom = opts.source ? 'source' : 'dist';
if (oursFrom === 'dist') await compileOurs();
const ours = await loadOurs(oursFrom);
notes.push(
  oursFrom === 'dist'
    ? 'ours ran from src/ compiled by tsc (bench/.build/dist/), the code users run'
    : 'ours ran from src/ via tsx (--source): esbuild keepNames adds __name() calls to our closures',
);

// The kernel floor (bench/c/pingpong.c).
m.add(M.cInline0, 'µs', 'lower', cRoundTripRound('inline', 0, iterations * 2));
m.add(M.cInline1, 'µs', 'lower', cRoundTripRound('inline', 1, iterations * 2));
m.add(M.cPinned0, 'µs', 'lower', cRoundTripRound('pinned', 0, iterations * 2));
m.add(M.cPinned1, 'µs', 'lower', cRoundTripRound('pinned', 1, iterations * 2));
m.add(M.cFork0, 'µs', 'lower', cRoundTripRound('fork', 0, crossIterations));
m.add(M.cFork1, 'µs', 'lower', cRoundTripRound('fork', 1, crossIterations));
m.add(M.cManyFds, 'µs', 'lower', cManyFdsRound('pinned', MANY_FDS, opts.manyFds));

// node net + newline-delimited JSON-RPC.
const net = await client([M.netRt, M.netPipe, M.netBulk], netJsonInProcess);
if (net) {
  m.add(M.netRt, 'µs', 'lower', roundTripRound(net, iterations));
  m.add(M.netPipe, 'req/s', 'higher', pipelinedRound(net, opts.pipelined));
  m.add(M.netBulk, 'MiB/s', 'higher', bulkRound(net, opts.bulk));
}
if (m.wants(M.netRawBulk)) {
  const raw = await openNetRawBulk(opts.bulk);
  closers.push(() => raw.close());
  m.add(M.netRawBulk, 'MiB/s', 'higher', raw.round);
}
const net2 = await childClient([M.net2Rt, M.net2Pipe], 'net-json-server.ts', [], connectNetJson);
if (net2) {
  m.add(M.net2Rt, 'µs', 'lower', roundTripRound(net2, crossIterations));
  m.add(M.net2Pipe, 'req/s', 'higher', pipelinedRound(net2, opts.pipelined));
}

// usocket + newline-delimited JSON-RPC.
const us = await client([M.usRt0, M.usRt1, M.usPipe], usocketInProcess);
if (us) {
  m.add(M.usRt0, 'µs', 'lower', roundTripRound(us, iterations));
  m.add(M.usRt1, 'µs', 'lower', roundTripRound(us, iterations, [devNull]));
  m.add(M.usPipe, 'req/s', 'higher', pipelinedRound(us, opts.pipelined));
}
const us2 = await childClient([M.us2Rt1, M.us2Pipe], 'usocket-server.ts', [], connectUsocket);
if (us2) {
  m.add(M.us2Rt1, 'µs', 'lower', roundTripRound(us2, crossIterations, [devNull]));
  m.add(M.us2Pipe, 'req/s', 'higher', pipelinedRound(us2, opts.pipelined));
}

// Ours: the raw transport, then the full stack.
const raw = await client([M.rawRt0, M.rawRt1], async () => rawTransportInProcess(ours));
if (raw) {
  m.add(M.rawRt0, 'µs', 'lower', roundTripRound(raw, iterations));
  m.add(M.rawRt1, 'µs', 'lower', roundTripRound(raw, iterations, [devNull]));
}
if (m.wants(M.rawBulk)) {
  const rawBulk = openRawTransportBulk(ours, opts.bulk);
  closers.push(() => rawBulk.close());
  m.add(M.rawBulk, 'MiB/s', 'higher', rawBulk.round);
}
if (m.wants(M.oursManyFds)) {
  // Untimed check that the timed case is honest: the handler sees every fd of the message.
  const delivered = await fdsDelivered(ours, manyFds);
  if (delivered !== MANY_FDS) m.fail(M.oursManyFds, `handler saw ${delivered} of ${MANY_FDS} fds`);
}
const rpc = await client([M.oursRt0, M.oursRt1, M.oursPipe, M.oursBulk, M.oursManyFds], async () => oursInProcess(ours));
if (rpc) {
  m.add(M.oursRt0, 'µs', 'lower', roundTripRound(rpc, iterations));
  m.add(M.oursRt1, 'µs', 'lower', roundTripRound(rpc, iterations, [devNull]));
  m.add(M.oursPipe, 'req/s', 'higher', pipelinedRound(rpc, opts.pipelined));
  m.add(M.oursBulk, 'MiB/s', 'higher', bulkRound(rpc, opts.bulk));
  m.add(M.oursManyFds, 'µs', 'lower', roundTripRound(rpc, opts.manyFds, manyFds));
}
const rpc2 = await childClient([M.ours2Rt0, M.ours2Rt1, M.ours2Pipe], 'ours-server.ts', [oursFrom], (path) =>
  connectOurs(ours, path),
);
if (rpc2) {
  m.add(M.ours2Rt0, 'µs', 'lower', roundTripRound(rpc2, crossIterations));
  m.add(M.ours2Rt1, 'µs', 'lower', roundTripRound(rpc2, crossIterations, [devNull]));
  m.add(M.ours2Pipe, 'req/s', 'higher', pipelinedRound(rpc2, opts.pipelined));
}

// Varlink over the same transport, and 2,000 fds in <=253-fd `more` frames versus after an upgrade.
if ([M.varlinkRt0, M.varlinkRt1, M.varlinkManyFds, M.upgradedManyFds].some((n) => m.wants(n))) {
  const vm = await loadVarlinkModules(ours);
  const vl = await client([M.varlinkRt0, M.varlinkRt1], async () => varlinkInProcess(ours, vm));
  if (vl) {
    m.add(M.varlinkRt0, 'µs', 'lower', roundTripRound(vl, iterations));
    m.add(M.varlinkRt1, 'µs', 'lower', roundTripRound(vl, iterations, [devNull]));
  }
  if (m.wants(M.varlinkManyFds) || m.wants(M.upgradedManyFds)) {
    const many = await openVarlinkManyFds(ours, vm, opts.manyFds);
    closers.push(() => many.close());
    m.add(M.varlinkManyFds, 'µs', 'lower', many.varlinkRound);
    m.add(M.upgradedManyFds, 'µs', 'lower', many.upgradedRound);
  }
}

log(`measuring: a warm-up round, then ${opts.rounds} interleaved rounds`);
// Other processes' load skews everything: say how busy the machine was.
const loadBefore = loadavg()[0]!;
await m.run(opts.rounds);
const loadAfter = loadavg()[0]!;

for (const close of closers.reverse()) await close();
closeSync(devNull);
for (const fd of manyFds) closeSync(fd);

const cases = buildCases(CASES, m);
notes.push(
  `machine: ${cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(2)} before measuring ` +
    `(well above 0: other processes competed for the CPUs) and ${loadAfter.toFixed(2)} after (the bench ` +
    'itself, with its child processes, adds about 1 to 2)',

  'rounds are interleaved across all measurements, so load from other processes falls on all alike',
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
