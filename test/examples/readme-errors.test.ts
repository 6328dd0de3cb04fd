// The README's table of error codes is what callers branch on: every class it names is exported from
// the package entry, and an instance carries the code the table gives it.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as api from '../../src/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('| code | class | when |');
const table = readme.slice(start, readme.indexOf('\n\n', start));
const rows = table
  .split('\n')
  .slice(2)
  .map((line) => line.split('|').slice(1, 3).map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)));

it('README error table: every class is exported, and each that takes a message has its listed code', () => {
  expect(rows.length).toBeGreaterThanOrEqual(8);
  const exported = api as unknown as Record<string, unknown>;
  for (const [codes, classes] of rows) {
    for (const [i, name] of (classes ?? []).entries()) {
      expect(typeof exported[name], `${name} is exported`).toBe('function');
      const code = codes?.[i] ?? codes?.[0];
      if (code === undefined || !code.startsWith('ERR_') || code.includes('*')) continue;
      // Classes whose first argument is not a message (RequestTimeoutError) still get a string.
      const instance = new (exported[name] as new (arg: string, n?: number) => Error)('x', 1);
      expect(instance, name).toBeInstanceOf(Error);
      expect((instance as Error & { code?: unknown }).code, name).toBe(code);
    }
  }
});
