import { ArgumentRangeError } from '../transport/system-error.js';

/**
 * A numeric limit option: `fallback` when absent, else a number ≥ `min` (Infinity means unlimited).
 * NaN or a string would compare false against everything and silently switch the limit off (a
 * `Number(env.X)` gone wrong would leave a connection without its memory bounds), so they throw.
 */
export function limitOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw new ArgumentRangeError(`${name} must be a number ≥ ${min}, not ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value;
}
