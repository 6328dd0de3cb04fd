import { ArgumentRangeError } from '../transport/system-error.js';

/** setTimeout fires after 1 ms for longer delays, so a larger timeout would fail the call at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Checks a `timeoutMs` option: a number from 0 to {@link MAX_TIMEOUT_MS}. Returns the timeout in ms, or
 * `undefined` for none (option absent or 0); throws an ArgumentRangeError (a RangeError) for anything else (negative, NaN, …).
 */
export function checkTimeout(timeoutMs: unknown): number | undefined {
  if (timeoutMs === undefined || timeoutMs === 0) return undefined;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new ArgumentRangeError(`timeoutMs must be a number from 0 (no timeout) to ${MAX_TIMEOUT_MS}, not ${String(timeoutMs)}`);
  }
  return timeoutMs;
}
