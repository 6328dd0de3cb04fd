import { receiverDifferences, runReceiverVector } from './run-receiver-vector.js';
import { runSenderVector, senderDifferences, senderSetups } from './run-sender-vector.js';
import type { SenderSetup } from './run-sender-vector.js';
import type { VectorSet } from './vector-types.js';

/** The verdict on one vector (a sender vector once per setup that can run it). */
export interface VectorResult {
  readonly kind: 'receiver' | 'sender';
  readonly name: string;
  readonly file: string;
  /** For sender vectors: where it ran. */
  readonly setup: SenderSetup | null;
  /** Empty when the vector passed. */
  readonly differences: string[];
}

/**
 * Runs every vector of `set` against this package's channel, one at a time (receiver vectors on the
 * in-memory transport, sender vectors on each setup that can honour them), and reports each result
 * as it completes through `onResult`.
 */
export async function runVectorSuite(set: VectorSet, onResult?: (result: VectorResult) => void): Promise<VectorResult[]> {
  const results: VectorResult[] = [];
  const report = (r: VectorResult): void => {
    results.push(r);
    onResult?.(r);
  };
  for (const v of set.receiver) {
    const outcome = await runReceiverVector(v);
    report({ kind: 'receiver', name: v.name, file: v.file, setup: null, differences: receiverDifferences(v, outcome) });
  }
  for (const v of set.sender) {
    const setups = senderSetups(v);
    if (setups.length === 0) {
      report({ kind: 'sender', name: v.name, file: v.file, setup: null, differences: ['no setup here can honour its sendmsg limits'] });
    }
    for (const setup of setups) {
      const outcome = await runSenderVector(v, setup);
      report({ kind: 'sender', name: v.name, file: v.file, setup, differences: senderDifferences(v, setup, outcome) });
    }
  }
  return results;
}
