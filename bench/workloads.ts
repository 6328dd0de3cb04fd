import type { BenchClient } from './bench-client.js';
import { elapsedUs, nowNs } from './measure.js';
import { BULK_BYTES, IN_FLIGHT, MIB, SMALL_PARAMS } from './payload.js';

/** One measured round of a workload: resolves with the round's figure (µs per op, or a rate). */
export type Round = () => Promise<number>;

/** µs per sequential round trip (one request in flight), over `iterations` requests carrying `fds`. */
export function roundTripRound(client: BenchClient, iterations: number, fds: readonly number[] = []): Round {
  return async () => {
    const start = nowNs();
    for (let i = 0; i < iterations; i++) await client.call(SMALL_PARAMS, fds);
    return elapsedUs(start) / iterations;
  };
}

/** Requests per second over `total` requests with {@link IN_FLIGHT} outstanding at all times. */
export function pipelinedRound(client: BenchClient, total: number): Round {
  return async () => {
    let started = 0;
    // Each lane issues its next request as soon as its previous reply arrived.
    const lane = async (): Promise<void> => {
      while (started < total) {
        started++;
        await client.call(SMALL_PARAMS);
      }
    };
    const start = nowNs();
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total) }, lane));
    return total / (elapsedUs(start) / 1e6);
  };
}

let bulkPayload: string | undefined;

/** The 16 MiB string echoed by {@link bulkRound}, built once. */
function bulkString(): string {
  bulkPayload ??= 'x'.repeat(BULK_BYTES);
  return bulkPayload;
}

/**
 * Payload MiB per second of `echoes` 16 MiB echoes: {@link BULK_BYTES} per echo divided by the time of
 * one request carrying the string and its reply carrying it back (so the wire moves twice as much).
 */
export function bulkRound(client: BenchClient, echoes: number): Round {
  const params = [bulkString()];
  return async () => {
    const start = nowNs();
    for (let i = 0; i < echoes; i++) {
      const result = await client.call(params);
      if (!Array.isArray(result) || typeof result[0] !== 'string' || result[0].length !== BULK_BYTES) {
        throw new Error('bulk echo came back altered');
      }
    }
    return (BULK_BYTES * echoes) / MIB / (elapsedUs(start) / 1e6);
  };
}
