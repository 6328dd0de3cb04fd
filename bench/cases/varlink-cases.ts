import type { CaseSpec } from '../report.js';

/** Names of the Varlink measurements (to merge into `M` of case-list.ts). */
export const VM = {
  varlinkRt0: 'ours Varlink 1-proc round trip, no fd',
  varlinkRt1: 'ours Varlink 1-proc round trip, 1 fd',
  varlinkManyFds: 'ours Varlink 1-proc, 2000 fds in 253-fd more replies',
  upgradedManyFds: 'ours Varlink upgraded to jsonrpc-fdpass, 2000 fds in one message',
} as const;

/**
 * The comparisons (to merge into `CASES` of case-list.ts). `oursRt0`/`oursRt1` are the JSON-RPC round
 * trip names of case-list.ts, passed in so this file does not depend on it.
 */
export function varlinkCases(oursRt0: string, oursRt1: string): CaseSpec[] {
  return [
    { name: '1-proc round trip, no fd: Varlink vs JSON-RPC', value: VM.varlinkRt0, baseline: oursRt0 },
    { name: '1-proc round trip, 1 fd: Varlink vs JSON-RPC', value: VM.varlinkRt1, baseline: oursRt1 },
    { name: '2000 fds: Varlink more frames vs upgraded jsonrpc-fdpass', value: VM.varlinkManyFds, baseline: VM.upgradedManyFds },
  ];
}
