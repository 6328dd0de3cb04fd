import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

function runChild(arg: string): Promise<{ exited: boolean; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/ref-child.ts'), arg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // Give it 700 ms after it reported being set up (startup time does not count).
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      timer ??= setTimeout(() => {
        child.kill();
        resolve({ exited: false, out });
      }, 700);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ exited: true, out });
    });
  });
}

it('a reading socket and a waiting listener keep the process alive; unref() lets it exit', async () => {
  const [held, released] = await Promise.all([runChild('ref'), runChild('unref')]);
  expect(held.out).toBe('started\n');
  expect(held.exited).toBe(false);
  expect(released.out).toBe('started\n');
  expect(released.exited).toBe(true);
});
