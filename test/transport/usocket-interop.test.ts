// Interop with usocket (an independent native fd-passing implementation for Node): its client talks to
// our listener and our client talks to its server, fds both ways.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nativeAddon } from '../../src/transport/native.js';
import { listen } from '../../src/transport/unix-listener.js';
import { connect } from '../../src/transport/unix-socket.js';
import { Collector, eventually } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

interface USocketWrite {
  data?: Buffer;
  fds?: number[];
  callback?: () => void;
}
interface USocket extends Duplex {
  write(chunk: USocketWrite | Buffer): boolean;
}
interface UServer extends EventEmitter {
  listen(path: string, cb: () => void): void;
  close(): void;
}
interface USocketModule {
  USocket: new (opts: { path: string }, cb?: () => void) => USocket;
  UServer: new () => UServer;
}

const usocket = createRequire(import.meta.url)('usocket') as USocketModule;

let tmp: ReturnType<typeof tempDir>;
let file = '';
beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-transport');
  file = join(tmp.dir, 'payload.txt');
  writeFileSync(file, 'shared through usocket');
});
afterAll(() => tmp.remove());
expectNoFdLeaks({ timeoutMs: 2000 });

function contentOf(fd: number): string {
  const buf = Buffer.alloc(64);
  return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString();
}

it('a usocket client sends bytes and an fd to our listener, and receives ours back', async () => {
  const path = join(tmp.dir, 'ours.sock');
  const listener = await listen(path);
  const accepting = listener[Symbol.asyncIterator]().next();
  const client = await new Promise<USocket>((resolve) => {
    const c: USocket = new usocket.USocket({ path }, () => resolve(c));
  });
  const server = (await accepting).value;
  if (!server) throw new Error('no connection');
  const cs = new Collector();
  server.start(cs);

  const f = openSync(file, 'r');
  await new Promise<void>((resolve) => client.write({ data: Buffer.from('hello ours'), fds: [f], callback: resolve }));
  closeSync(f);
  await cs.until(() => cs.byteLength === 10 && cs.fds.length === 1);
  expect(cs.bytes.toString()).toBe('hello ours');
  const received = cs.fds[0];
  expect(contentOf(received!.value)).toBe('shared through usocket');

  // Reverse: we send bytes with the fd we just received; usocket reports it with its 'fds' event.
  const gotFds: number[] = [];
  const chunks: Buffer[] = [];
  client.on('fds', (fds: number[]) => gotFds.push(...fds));
  client.on('data', (d: Buffer) => chunks.push(d));
  await server.write(Buffer.from('hello usocket'), [received!]);
  received!.close();
  await eventually(() => gotFds.length === 1 && Buffer.concat(chunks).length === 13);
  expect(Buffer.concat(chunks).toString()).toBe('hello usocket');
  expect(contentOf(gotFds[0]!)).toBe('shared through usocket');
  closeSync(gotFds[0]!);

  client.destroy();
  await cs.until(() => cs.ended);
  server.destroy();
  await server.whenClosed;
  await listener.close();
});

it('our client sends bytes and fds to a usocket server', async () => {
  const path = join(tmp.dir, 'theirs.sock');
  const server = new usocket.UServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const connection = new Promise<USocket>((resolve) => server.once('connection', resolve));
  const client = await connect(path);
  const peer = await connection;
  const gotFds: number[] = [];
  const chunks: Buffer[] = [];
  peer.on('fds', (fds: number[]) => gotFds.push(...fds));
  peer.on('data', (d: Buffer) => chunks.push(d));
  const f = openSync(file, 'r');
  await client.write(Buffer.from('from ours'), [f, f]);
  closeSync(f);
  await eventually(() => gotFds.length === 2 && Buffer.concat(chunks).length === 9);
  expect(Buffer.concat(chunks).toString()).toBe('from ours');
  for (const fd of gotFds) {
    expect(contentOf(fd)).toBe('shared through usocket');
    closeSync(fd);
  }
  peer.destroy();
  client.destroy();
  await client.whenClosed;
  server.close();
});
