import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nativeAddon } from '../../src/transport/native.js';
import { eventually } from './harness.js';
import { openFdCount } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-transport');
});
afterAll(() => tmp.remove());

async function runWorker(mode: 'exit' | 'terminate', n: number): Promise<number> {
  // Workers do not inherit loader hooks: load the TypeScript fixture through tsx's API.
  const fixture = pathToFileURL(join(import.meta.dirname, 'fixtures/worker-sockets.ts')).href;
  const source = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(fixture)}, ${JSON.stringify(fixture)}))`;
  const worker = new Worker(source, {
    eval: true,
    workerData: { path: join(tmp.dir, `w${n}.sock`), mode },
  });
  const exited = new Promise<number>((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  if (mode === 'terminate') await worker.terminate();
  return exited;
}

for (const mode of ['terminate', 'exit'] as const) {
  it(`a worker that ${mode === 'exit' ? 'exits' : 'is terminated'} with open sockets, a listener and fds in flight neither crashes nor leaks fds`, async () => {
    // Warm up once so lazily opened runtime fds (worker machinery) are counted in the baseline.
    await runWorker(mode, 0);
    const before = openFdCount();
    for (let i = 1; i <= 3; i++) await runWorker(mode, i + (mode === 'exit' ? 10 : 0));
    await eventually(() => openFdCount() === before);
    expect(openFdCount()).toBe(before);
  });
}
