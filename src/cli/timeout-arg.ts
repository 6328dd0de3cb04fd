import { UsageError } from './verb.js';

/**
 * The longest `--timeout`: timers take at most 2**31-1 ms. Longer ones made node throw a RangeError
 * (reported as a failure, exit 1) or fire after 1 ms.
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `--timeout MS`: a positive integer up to {@link MAX_TIMEOUT_MS}, or undefined when absent. */
export function parseTimeoutArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new UsageError(`--timeout must be a positive integer of at most ${MAX_TIMEOUT_MS} (ms), not ${JSON.stringify(value)}`);
  }
  return ms;
}
