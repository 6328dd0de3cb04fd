import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the README example runs against the built package and prints the first line of /etc/os-release', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts', join(dir, 's.sock')], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toMatch(/^PRETTY_NAME=|^NAME=/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
