import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh Unix socket path in a private temporary directory, and a way to remove both. */
export function socketPath(name: string): { readonly path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'jsonrpc-fdpass-bench-'));
  return {
    path: join(dir, `${name}.sock`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
