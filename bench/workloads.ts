import type { BenchClient } from './bench-client.js';
import { elapsedUs, nowNs, sampleRounds, type Sample } from './measure.js';
import { BULK_BYTES, IN_FLIGHT, MIB, SMALL_PARAMS } from './payload.js';

/** Median µs per sequential round trip (one request in flight). */
export function roundTripUs(
  client: BenchClient,
  iterations: number,
  rounds: number,
  fds: readonly number[] = [],
): Promise<Sample> {
  return sampleRounds(rounds, async () => {
    const start = nowNs();
    for (let i = 0; i < iterations; i++) await client.call(SMALL_PARAMS, fds);
    return elapsedUs(start) / iterations;
  });
}

/** Median requests per second with {@link IN_FLIGHT} requests outstanding at all times. */
export function pipelinedPerSecond(client: BenchClient, total: number, rounds: number): Promise<Sample> {
  return sampleRounds(rounds, async () => {
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
  });
}

let bulkPayload: string | undefined;

/** The 16 MiB string echoed by {@link bulkMibPerSecond}, built once. */
export function bulkString(): string {
  bulkPayload ??= 'x'.repeat(BULK_BYTES);
  return bulkPayload;
}

/**
 * Median payload MiB per second of a 16 MiB echo: {@link BULK_BYTES} divided by the time of one
 * request carrying the string and its reply carrying it back (so the wire moves twice as much).
 */
export function bulkMibPerSecond(client: BenchClient, echoes: number, rounds: number): Promise<Sample> {
  const params = [bulkString()];
  return sampleRounds(rounds, async () => {
    const start = nowNs();
    for (let i = 0; i < echoes; i++) {
      const result = await client.call(params);
      if (!Array.isArray(result) || typeof result[0] !== 'string' || result[0].length !== BULK_BYTES) {
        throw new Error('bulk echo came back altered');
      }
    }
    return (BULK_BYTES * echoes) / MIB / (elapsedUs(start) / 1e6);
  });
}

/** Median µs per round trip of one request carrying all of `fds` (the server closes them). */
export function manyFdsUs(
  client: BenchClient,
  fds: readonly number[],
  messages: number,
  rounds: number,
): Promise<Sample> {
  return roundTripUs(client, messages, rounds, fds);
}
