import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import { validateVectorFile } from './validate-vector-file.js';
import { VectorFormatError } from './vector-types.js';
import type { ReceiverVector, SenderVector, Vector, VectorSet } from './vector-types.js';

export * from './vector-types.js';

/**
 * The `spec/vectors` directory shipped with this package. The relative path is the same from
 * `src/conformance` (tests) and `dist/conformance` (published), both two levels below the root.
 */
export function defaultVectorsDir(): string {
  return fileURLToPath(new URL('../../spec/vectors/', import.meta.url));
}

/** Vector files under `dir` (every `*.json` except the schema), sorted, relative with `/` separators. */
export function listVectorFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.json') && entry.name !== 'schema.json') {
        out.push(relative(dir, full).split(sep).join('/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Parses and checks one vector file's text; `file` names it in errors. */
export function parseVectorFile(text: string, file: string): Vector[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new VectorFormatError(file, '$', `not JSON: ${(err as Error).message}`);
  }
  return validateVectorFile(data, file);
}

/**
 * Loads every vector under `dir` (default: this package's `spec/vectors`), checking each file's
 * structure and that names are unique across all files.
 */
export function loadVectors(dir: string = defaultVectorsDir()): VectorSet {
  const receiver: ReceiverVector[] = [];
  const sender: SenderVector[] = [];
  const seen = new Map<string, string>();
  for (const file of listVectorFiles(dir)) {
    const vectors = parseVectorFile(readFileSync(join(dir, file), 'utf8'), file);
    for (const v of vectors) {
      const other = seen.get(v.name);
      if (other !== undefined) throw new VectorFormatError(file, v.name, `vector name already used in ${other}`);
      seen.set(v.name, file);
      if (v.kind === 'receiver') receiver.push(v);
      else sender.push(v);
    }
  }
  return { receiver, sender };
}
