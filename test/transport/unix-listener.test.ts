import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, readdirSync, lstatSync, openSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { nativeAddon } from '../../src/transport/native.js';
import { isListeningSocket, listen } from '../../src/transport/unix-listener.js';
import { connect, type UnixSocket } from '../../src/transport/unix-socket.js';
import { Collector, eventually } from './harness.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
let seq = 0;

beforeAll(() => {
  nativeAddon();
  tmp = tempDir('fdpass-transport');
});
afterAll(() => tmp.remove());
expectNoFdLeaks({ timeoutMs: 2000 });

const sockPath = () => join(tmp.dir, `s${++seq}.sock`);

async function acceptOne(listener: AsyncIterable<UnixSocket>): Promise<UnixSocket> {
  const it = listener[Symbol.asyncIterator]();
  const r = await it.next();
  if (r.done) throw new Error('listener ended');
  return r.value;
}

async function closeAll(...socks: UnixSocket[]): Promise<void> {
  for (const s of socks) s.destroy();
  await Promise.all(socks.map((s) => s.whenClosed));
}

describe('listen and connect over a socket path', () => {
  it('exchanges bytes and fds both ways', async () => {
    const path = sockPath();
    const listener = await listen(path);
    const [client, server] = await Promise.all([connect(path), acceptOne(listener)]);
    const cc = new Collector();
    const cs = new Collector();
    client.start(cc);
    server.start(cs);
    const file = join(tmp.dir, 'content');
    writeFileSync(file, 'hello fd');
    const f = openSync(file, 'r');
    await client.write(Buffer.from('to server'), [f]);
    await server.write(Buffer.from('to client'), [f]);
    await cs.until(() => cs.byteLength === 9 && cs.fds.length === 1);
    await cc.until(() => cc.byteLength === 9 && cc.fds.length === 1);
    for (const got of [cs.fds[0], cc.fds[0]] as Fd[]) {
      const buf = Buffer.alloc(16);
      expect(buf.subarray(0, readSync(got.value, buf, 0, 16, 0)).toString()).toBe('hello fd');
    }
    expect(server.peerCredentials()?.pid).toBe(process.pid);
    closeSync(f);
    cs.closeAllFds();
    cc.closeAllFds();
    await closeAll(client, server);
    await listener.close();
    expect(existsSync(path)).toBe(false);
  });

  it('serves several clients through for-await, and break closes the listener', async () => {
    const path = sockPath();
    const listener = await listen(path);
    const clients = await Promise.all([connect(path), connect(path), connect(path)]);
    const accepted: UnixSocket[] = [];
    for await (const s of listener) {
      accepted.push(s);
      if (accepted.length === 3) break;
    }
    expect(listener.closed).toBe(true);
    await eventually(() => listener.fd === -1);
    expect(existsSync(path)).toBe(false);
    await closeAll(...clients, ...accepted);
  });

  it('applies mode to the socket file', async () => {
    const path = sockPath();
    const listener = await listen(path, { mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await listener.close();
  });

  it('replaces a stale socket file, and refuses a live one with EADDRINUSE', async () => {
    const path = sockPath();
    // A stale file: bound, then its socket closed without unlinking.
    const native = nativeAddon();
    const stale = native.socket();
    native.bind(stale, path);
    native.close(stale);
    expect(lstatSync(path).isSocket()).toBe(true);
    const listener = await listen(path);
    await expect(listen(path)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const c = await connect(path);
    const s = await acceptOne(listener);
    await closeAll(c, s);
    await listener.close();
  });

  it('does not unlink a regular file in the way', async () => {
    const path = sockPath();
    writeFileSync(path, 'not a socket');
    await expect(listen(path)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(existsSync(path)).toBe(true);
  });

  it('close does not unlink a socket file that another listener replaced meanwhile', async () => {
    const path = sockPath();
    const first = await listen(path);
    // Someone removes our file and binds a new socket there.
    unlinkSync(path);
    const second = await listen(path);
    await first.close();
    expect(existsSync(path)).toBe(true);
    await second.close();
    expect(existsSync(path)).toBe(false);
  });

  it('connect fails with ENOENT for a missing path and ECONNREFUSED for a dead socket', async () => {
    await expect(connect(join(tmp.dir, 'missing.sock'))).rejects.toMatchObject({
      name: 'SystemError',
      code: 'ENOENT',
      syscall: 'connect',
    });
    const path = sockPath();
    const native = nativeAddon();
    const dead = native.socket();
    native.bind(dead, path);
    native.close(dead);
    await expect(connect(path)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('connect waits while the backlog is full (EAGAIN) and completes once accepted; abort gives up cleanly', async () => {
    const path = sockPath();
    const listener = await listen(path, { backlog: 0 });
    const queued: UnixSocket[] = [];
    // Fill the backlog without accepting: Linux queues backlog + 1, then answers EAGAIN.
    let waiting: Promise<UnixSocket> | undefined;
    for (let i = 0; i < 4 && !waiting; i++) {
      const attempt = connect(path);
      const settled = await Promise.race([attempt.then(() => true), new Promise((r) => setTimeout(() => r(false), 30))]);
      if (settled) queued.push(await attempt);
      else waiting = attempt;
    }
    expect(waiting).toBeDefined();
    const ac = new AbortController();
    const aborted = connect(path, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 10));
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    const accepted: UnixSocket[] = [];
    const it = listener[Symbol.asyncIterator]();
    for (let i = 0; i <= queued.length; i++) {
      const r = await it.next();
      if (!r.done) accepted.push(r.value);
    }
    const late = await waiting!;
    await closeAll(late, ...queued, ...accepted);
    await listener.close();
  });

  it('connect honours an already aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(connect(sockPath(), { signal: ac.signal })).rejects.toThrow('stop');
  });

  it('aborting the listen signal ends the iterator', async () => {
    const ac = new AbortController();
    const path = sockPath();
    const listener = await listen(path, { signal: ac.signal });
    const next = listener[Symbol.asyncIterator]().next();
    ac.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    await eventually(() => listener.fd === -1);
    expect(existsSync(path)).toBe(false);
  });

  it('passes maxFdsPerSend to accepted sockets', async () => {
    const path = sockPath();
    const listener = await listen(path, { maxFdsPerSend: 7 });
    const [c, s] = await Promise.all([connect(path), acceptOne(listener)]);
    expect(s.maxFdsPerSend).toBe(7);
    await closeAll(c, s);
    await listener.close();
  });
});

describe('abstract names and socket activation', () => {
  it('listens and connects on a Linux abstract name (no file)', async () => {
    const name = `@jsonrpc-fdpass-test-${process.pid}-${++seq}`;
    const listener = await listen(name);
    const [c, s] = await Promise.all([connect(name), acceptOne(listener)]);
    const cs = new Collector();
    s.start(cs);
    await c.write(Buffer.from('abstract'));
    await cs.until(() => cs.byteLength === 8);
    await closeAll(c, s);
    await listener.close();
    await expect(connect(name)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('adopts an inherited listening fd; isListeningSocket tells listening from connected', async () => {
    const native = nativeAddon();
    const name = `@jsonrpc-fdpass-act-${process.pid}-${++seq}`;
    const fd = native.socket();
    native.bind(fd, name);
    expect(isListeningSocket(fd)).toBe(false);
    native.listen(fd, 4);
    expect(isListeningSocket(new Fd(fd))).toBe(true);
    const listener = await listen({ fd });
    expect(listener.path).toBeNull();
    const [c, s] = await Promise.all([connect(name), acceptOne(listener)]);
    expect(isListeningSocket(s.fd)).toBe(false);
    await closeAll(c, s);
    await listener.close();
    const [x, y] = native.socketpair();
    await expect(listen({ fd: x })).rejects.toMatchObject({ code: 'EINVAL' });
    native.close(x);
    native.close(y);
  });
});

describe('resource exhaustion', () => {
  it('backs off on EMFILE instead of spinning, and accepts once fds are free again', async () => {
    // In a child: the limit is lowered there, never in the test runner's own process.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/emfile-child.ts'), sockPath()],
      { stdio: ['ignore', 'pipe', 'inherit'], timeout: 20_000 },
    ).toString();
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      dupError?: string;
      filled: number;
      cpuMs: number;
      accepted: boolean;
      leaked: number[];
    };
    expect(report.dupError).toBe('EMFILE');
    expect(report.filled).toBeGreaterThan(0);
    // Spinning on the (still readable) listener would burn most of the 150 ms it waited.
    expect(report.cpuMs).toBeLessThan(60);
    expect(report.accepted).toBe(true);
    expect(report.leaked).toEqual([]);
  });
});
