import { VM, varlinkCases } from './cases/varlink-cases.js';
import type { CaseSpec } from './report.js';

/** Names of every measurement (the table's first column; `--only` matches against them). */
export const M = {
  cInline0: 'C floor inline (one thread), round trip, no fd',
  cInline1: 'C floor inline (one thread), round trip, 1 fd',
  cPinned0: 'C floor pinned (fork, one CPU), round trip, no fd',
  cPinned1: 'C floor pinned (fork, one CPU), round trip, 1 fd',
  cFork0: 'C floor fork (two CPUs), round trip, no fd',
  cFork1: 'C floor fork (two CPUs), round trip, 1 fd',
  cManyFds: 'C floor pinned, one message with 1000 fds',

  netRt: 'net+JSON 1-proc round trip, no fd',
  netPipe: 'net+JSON 1-proc pipelined x64',
  netBulk: 'net+JSON 1-proc 16 MiB echo',
  netRawBulk: 'net raw bytes 1-proc 16 MiB echo',
  net2Rt: 'net+JSON 2-proc round trip, no fd',
  net2Pipe: 'net+JSON 2-proc pipelined x64',

  usRt0: 'usocket+JSON 1-proc round trip, no fd',
  usRt1: 'usocket+JSON 1-proc round trip, 1 fd',
  usPipe: 'usocket+JSON 1-proc pipelined x64',
  us2Rt1: 'usocket+JSON 2-proc round trip, 1 fd',
  us2Pipe: 'usocket+JSON 2-proc pipelined x64',

  rawRt0: 'ours raw UnixSocket 1-proc round trip, no fd',
  rawRt1: 'ours raw UnixSocket 1-proc round trip, 1 fd',
  rawBulk: 'ours raw UnixSocket 1-proc 16 MiB echo',

  oursRt0: 'ours JsonRpcPeer 1-proc round trip, no fd',
  oursRt1: 'ours JsonRpcPeer 1-proc round trip, 1 fd',
  oursPipe: 'ours JsonRpcPeer 1-proc pipelined x64',
  oursBulk: 'ours JsonRpcPeer 1-proc 16 MiB echo',
  oursManyFds: 'ours JsonRpcPeer 1-proc, one message with 1000 fds',
  ours2Rt0: 'ours JsonRpcPeer 2-proc round trip, no fd',
  ours2Rt1: 'ours JsonRpcPeer 2-proc round trip, 1 fd',
  ours2Pipe: 'ours JsonRpcPeer 2-proc pipelined x64',

  ...VM,
} as const;

/** The comparisons reported, with the project's targets where it set one. */
export const CASES: readonly CaseSpec[] = [
  // Targets (one process).
  { name: '1-proc round trip, 1 fd: ours vs C floor', value: M.oursRt1, baseline: M.cPinned1, target: 4 },
  { name: '1-proc round trip, 1 fd: ours vs usocket', value: M.oursRt1, baseline: M.usRt1, target: 0.5 },
  { name: '1-proc round trip, no fd: ours vs net+JSON', value: M.oursRt0, baseline: M.netRt, target: 1 },
  // "node net moving the same bytes": with the same JSON work, and as raw bytes (no JSON can reach that).
  { name: '16 MiB echo: ours vs net+JSON', value: M.oursBulk, baseline: M.netBulk, target: 0.5 },
  { name: '16 MiB echo: ours vs net raw bytes', value: M.oursBulk, baseline: M.netRawBulk, target: 0.5 },
  // Where the time goes.
  { name: '1-proc round trip, no fd: ours vs C floor', value: M.oursRt0, baseline: M.cPinned0 },
  { name: '1-proc round trip, no fd: raw transport vs C floor', value: M.rawRt0, baseline: M.cPinned0 },
  { name: '1-proc round trip, 1 fd: raw transport vs C floor', value: M.rawRt1, baseline: M.cPinned1 },
  { name: '1-proc round trip, no fd: ours vs raw transport', value: M.oursRt0, baseline: M.rawRt0 },
  { name: '1-proc round trip, 1 fd: ours vs raw transport', value: M.oursRt1, baseline: M.rawRt1 },
  { name: '16 MiB raw bytes: raw transport vs net', value: M.rawBulk, baseline: M.netRawBulk },
  { name: '1000 fds in one message: ours vs C floor', value: M.oursManyFds, baseline: M.cManyFds },
  // Throughput.
  { name: '1-proc pipelined x64: ours vs net+JSON', value: M.oursPipe, baseline: M.netPipe },
  { name: '1-proc pipelined x64: ours vs usocket', value: M.oursPipe, baseline: M.usPipe },
  { name: '2-proc pipelined x64: ours vs net+JSON', value: M.ours2Pipe, baseline: M.net2Pipe },
  { name: '2-proc pipelined x64: ours vs usocket', value: M.ours2Pipe, baseline: M.us2Pipe },
  // Two processes (bimodal wake-up latency: read with care).
  { name: '2-proc round trip, no fd: ours vs net+JSON', value: M.ours2Rt0, baseline: M.net2Rt },
  { name: '2-proc round trip, 1 fd: ours vs usocket', value: M.ours2Rt1, baseline: M.us2Rt1 },
  // The baselines against the floor, for context.
  { name: '1-proc round trip, no fd: net+JSON vs C floor', value: M.netRt, baseline: M.cPinned0 },
  { name: '1-proc round trip, 1 fd: usocket vs C floor', value: M.usRt1, baseline: M.cPinned1 },
  // Varlink, and what the upgrade to jsonrpc-fdpass buys for many fds.
  ...varlinkCases(M.oursRt0, M.oursRt1),
];
