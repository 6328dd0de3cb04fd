import { readFileSync } from 'node:fs';
import { UsageError } from '../verb.js';

/** The text of FILE (`-` for stdin); an unreadable file is a usage error. */
export function readIdlFile(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
