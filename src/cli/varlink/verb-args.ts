import { UsageError } from '../verb.js';
import { isJsonMode, type JsonMode } from './json-output.js';

/** `--json=short|pretty|seq` (short when absent). */
export function parseJsonMode(value: string | undefined): JsonMode {
  const mode = value ?? 'short';
  if (!isJsonMode(mode)) throw new UsageError('--json must be short, pretty or seq');
  return mode;
}

/** Checks the number of positionals: `names` are required, `optional` more may follow. */
export function takePositionals(positionals: readonly string[], names: readonly string[], optional = 0): string[] {
  if (positionals.length < names.length) throw new UsageError(`${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} required`);
  if (positionals.length > names.length + optional) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length + optional])}`);
  }
  return [...positionals];
}
