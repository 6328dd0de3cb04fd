import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

const GO_CERT = '/usr/bin/varlink-go-certification';
const EXAMPLES = fileURLToPath(new URL('../../examples/varlink-certification/', import.meta.url));
/** Runs a TypeScript example with tsx's loader directly (npx would add a second of start-up). */
const TSX = ['--import', 'tsx'];

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

/** Stops what a test started and waits until every child has exited, so their pipes are closed. */
async function stopChildren(): Promise<void> {
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
  for (const c of running) c.kill('SIGTERM');
  await Promise.all(exited);
  for (const f of cleanups.splice(0)) f();
}

beforeAll(async () => {
  // The first child process of a process sets up libuv's SIGCHLD handling, which keeps fds open for
  // good: spawn one before counting, so that does not count as a test's leak.
  await new Promise<void>((resolve) => spawn('true', { stdio: 'ignore' }).once('close', () => resolve()));
});
// Every fd a test opened (sockets, the children's stdout/stderr pipes) is closed once its children are gone.
expectNoFdLeaks({ cleanup: stopChildren, timeoutMs: 2000 });

function requireGoCertification(): void {
  if (!existsSync(GO_CERT)) {
    throw new Error(`${GO_CERT} is missing: install Debian package varlink-go (apt-get install varlink-go)`);
  }
}

/** Runs a program to completion; resolves with its exit code and output. */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Starts a long-running program and waits until `ready(output)` holds. */
function start(cmd: string, args: string[], ready: (out: string) => boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not get ready: ${out}`)), 20_000);
    const check = (): void => {
      if (ready(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      check();
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}: ${out}`)));
  });
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  expect(existsSync(path)).toBe(true);
}

describe('varlink certification against varlink-go', () => {
  it('passes every step of our client against the varlink-go service', async () => {
    requireGoCertification();
    const tmp = tempDir('varlink-sock');
    cleanups.push(tmp.remove);
    const sock = join(tmp.dir, 'go.sock');
    const server = spawn(GO_CERT, [`--varlink=unix:${sock}`], { stdio: 'ignore' });
    children.push(server);
    await waitForFile(sock);
    const { code, out } = await run(process.execPath, [...TSX, join(EXAMPLES, 'client.ts'), `unix:${sock}`]);
    expect(out).toContain('End: ok');
    expect(out.trim().split('\n').at(-1)).toBe('certification passed');
    expect(code).toBe(0);
  });

  it("passes varlink-go's client against our service", async () => {
    requireGoCertification();
    const tmp = tempDir('varlink-sock');
    cleanups.push(tmp.remove);
    const address = `unix:${join(tmp.dir, 'ours.sock')}`;
    await start(process.execPath, [...TSX, join(EXAMPLES, 'server.ts'), address], (out) =>
      out.includes(`listening on ${address}`),
    );
    const { out } = await run(GO_CERT, ['--client', `--varlink=${address}`]);
    // varlink-go's client exits 0 even on failure: success is its last line.
    expect(out.trim().split('\n').at(-1)).toBe("End: 'true'");
  });

  it('passes our client against our service started through an exec: address (socket activation)', async () => {
    const tmp = tempDir('varlink-sock');
    cleanups.push(tmp.remove);
    const launcher = join(tmp.dir, 'cert-service');
    writeFileSync(
      launcher,
      `#!/bin/sh\nexec "${process.execPath}" ${TSX.join(' ')} "${join(EXAMPLES, 'server.ts')}"\n`,
    );
    chmodSync(launcher, 0o755);
    const { code, out } = await run(process.execPath, [...TSX, join(EXAMPLES, 'client.ts'), `exec:${launcher}`]);
    expect(out.trim().split('\n').at(-1)).toBe('certification passed');
    expect(code).toBe(0);
  });
});
