import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nativeAddon } from '../../src/transport/native.js';
import { listen } from '../../src/transport/unix-listener.js';
import { Collector, eventually } from './harness.js';
import { openFdCount } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-transport');
});
afterAll(() => tmp.remove());

it('a receiver out of fds (RLIMIT_NOFILE) reports MSG_CTRUNC, closes what arrived and does not crash', async () => {
  const before = openFdCount();
  const path = join(tmp.dir, 'ctrunc.sock');
  const listener = await listen(path);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/ctrunc-child.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const server = (await listener[Symbol.asyncIterator]().next()).value;
  if (!server) throw new Error('no connection');
  const ready = JSON.parse(String((await lines.next()).value)) as { ready: boolean; highest: number };
  expect(ready.ready).toBe(true);
  // Room for a few more fds only: installing 100 must fail part-way.
  const limit = ready.highest + 4;
  execFileSync('prlimit', ['--pid', String(child.pid), `--nofile=${limit}:${limit}`]);
  const cs = new Collector();
  server.start(cs);
  const f = openSync('/dev/null', 'r');
  await server.write(Buffer.from('{"many":true}'), new Array<number>(100).fill(f));
  closeSync(f);
  const line = await Promise.race([lines.next(), exited.then(() => ({ value: 'null' }))]);
  const report = JSON.parse(String(line.value)) as {
    code: string;
    received: number;
    atReady: number[];
    socketFd: number;
    afterClose: number[];
  };
  expect(report.code).toBe('EMSGCTRUNC');
  expect(report.received).toBe(0);
  // Every fd that did arrive was closed (no fd exists that was not there before), and so was the socket.
  // Compared as sets: node itself may close an internal fd meanwhile, so counts alone are noisy.
  expect(report.atReady).toContain(report.socketFd);
  expect(report.afterClose.filter((fd) => !report.atReady.includes(fd))).toEqual([]);
  expect(report.afterClose).not.toContain(report.socketFd);
  expect(await exited).toBe(0);
  // The child's socket closed: we see EOF (or a reset), never a crash on our side.
  await cs.until(() => cs.ended || cs.failure !== undefined);
  server.destroy();
  await server.whenClosed;
  await listener.close();
  await eventually(() => openFdCount() === before);
  expect(openFdCount()).toBe(before);
});
