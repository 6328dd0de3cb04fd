import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, fstatSync, mkdtempSync, readdirSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import { Fd } from '../../src/transport/fd.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';

const run = promisify(execFile);
const INTERFACE = 'org.example.objectstore';
const COUNT = 2000;

let dir: string;
let socket: string;
let server: ChildProcess;
let storeDir: string | undefined;

function fdCount(pid: number | 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Waits until `pid` has `wants` fds open (closes land a little after the client's last await). */
async function settleFdCount(pid: number | 'self', wants: number): Promise<number> {
  for (let i = 0; i < 100 && fdCount(pid) !== wants; i++) await sleep(10);
  return fdCount(pid);
}

/** The fd count of `pid` once it stopped changing (the previous test's connection may still be closing). */
async function stableFdCount(pid: number): Promise<number> {
  let last = fdCount(pid);
  for (let same = 0, i = 0; same < 3 && i < 100; i++) {
    await sleep(15);
    const now = fdCount(pid);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

function content(fd: Fd): string {
  const buffer = Buffer.alloc(fstatSync(fd.value).size);
  readSync(fd.value, buffer, 0, buffer.length, 0);
  return buffer.toString('utf8');
}

function expectContents(names: readonly string[], objects: readonly number[], fds: readonly Fd[]): void {
  expect(objects).toHaveLength(names.length);
  expect(new Set(objects).size).toBe(names.length);
  const wrong = names.filter((name, i) => content(fds[objects[i]!]!) !== `object ${Number(name.slice(4))}`);
  expect(wrong).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'object-store-test-'));
  socket = join(dir, 's.sock');
  server = spawn(process.execPath, ['--import', 'tsx', 'examples/object-store/server.ts', socket, String(COUNT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(`listening on ${socket}`)) resolve();
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  // Warm-up: the server's first connection may create lazily opened fds of its own.
  const client = await VarlinkClient.connect(`unix:${socket}`);
  await client.call(`${INTERFACE}.ListObjects`);
  await client.close();
  storeDir = /^objects in (.+)$/m.exec(out)?.[1];
  expect(storeDir !== undefined && existsSync(storeDir)).toBe(true);
}, 20_000);

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  rmSync(dir, { recursive: true, force: true });
  // SIGTERM removes the objects.
  expect(existsSync(storeDir!)).toBe(false);
});

it('client.ts runs the demo flow against server.ts in another process', async () => {
  const serverFds = await stableFdCount(server.pid!);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/object-store/client.ts', socket], {
    timeout: 20_000,
  });
  expect(stdout.trim().split('\n')).toEqual([
    `varlink: ${COUNT} objects`,
    'varlink: OpenObjects(3) -> object 0, object 1, object 2',
    `varlink: OpenObjects(300) -> ${INTERFACE}.TooManyObjects (limit 253, use ${INTERFACE}.Upgrade)`,
    'upgraded to jsonrpc-fdpass',
    `jsonrpc-fdpass: openObjects(${COUNT}) -> ${COUNT} fds in one message, contents match`,
  ]);
  expect(await settleFdCount(server.pid!, serverFds)).toBe(serverFds);
});

it('hands out up to 253 objects per Varlink reply, refuses more with TooManyObjects, and after the upgrade 2000 in one message', async () => {
  const serverFds = await stableFdCount(server.pid!);
  const ownFds = fdCount('self');
  const client = await VarlinkClient.connect(`unix:${socket}`, { fds: true });
  const { names } = (await client.call<{ names: string[] }>(`${INTERFACE}.ListObjects`)).parameters;
  expect(names).toHaveLength(COUNT);

  const most = names.slice(1000, 1253);
  const varlink = await client.call<{ objects: number[] }>(`${INTERFACE}.OpenObjects`, { names: most });
  expectContents(most, varlink.parameters.objects, varlink.fds);
  Fd.closeAll(varlink.fds);

  const tooMany = await client.call(`${INTERFACE}.OpenObjects`, { names: names.slice(0, 254) }).catch((e: unknown) => e);
  expect(tooMany).toBeInstanceOf(VarlinkError);
  expect((tooMany as VarlinkError).error).toBe(`${INTERFACE}.TooManyObjects`);
  expect((tooMany as VarlinkError).parameters).toEqual({ requested: 254, limit: 253, upgrade: `${INTERFACE}.Upgrade` });

  const unknown = await client.call(`${INTERFACE}.OpenObjects`, { names: [names[0], 'nope'] }).catch((e: unknown) => e);
  expect((unknown as VarlinkError).error).toBe(`${INTERFACE}.NoSuchObject`);
  expect((unknown as VarlinkError).parameters).toEqual({ name: 'nope' });

  const peer = await client.upgradeToFdPass(`${INTERFACE}.Upgrade`, {}, { codecs: ['json'] });
  const all = await peer.request<{ objects: number[] }>('openObjects', { names });
  expect(all.fds).toHaveLength(COUNT);
  expectContents(names, all.result.objects, all.fds);
  Fd.closeAll(all.fds);

  const missing = await peer.request('openObjects', { names: ['nope'] }).catch((e: unknown) => e);
  expect((missing as JsonRpcError).data).toEqual({ name: 'nope' });

  await peer.close();
  expect(await settleFdCount('self', ownFds)).toBe(ownFds);
  expect(await settleFdCount(server.pid!, serverFds)).toBe(serverFds);
});

it('releases every fd on both sides when the client disconnects right after asking for 2000 objects', async () => {
  const serverFds = await stableFdCount(server.pid!);
  const ownFds = fdCount('self');
  const client = await VarlinkClient.connect(`unix:${socket}`);
  const peer = await client.upgradeToFdPass(`${INTERFACE}.Upgrade`);
  const names = Array.from({ length: COUNT }, (_, i) => `obj-${String(i).padStart(5, '0')}`);
  const asked = peer.request('openObjects', { names });
  // Hang up as soon as the request left, before the service answered it.
  await new Promise((resolve) => setImmediate(resolve));
  peer.destroy();
  const outcome = await asked.catch((e: unknown) => e);
  expect(outcome).toBeInstanceOf(Error);
  expect(await settleFdCount('self', ownFds)).toBe(ownFds);
  expect(await settleFdCount(server.pid!, serverFds)).toBe(serverFds);
});
