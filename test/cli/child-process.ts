import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';

/** The repository root: children run from here with `node --import tsx`. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A child process that prints `readyLine` once it serves. */
export interface ServerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exit: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `node --import tsx SCRIPT ARGS…` and waits until its stdout contains `readyLine`. */
export async function startChild(script: string, args: readonly string[], readyLine: string): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(readyLine)) resolve();
    });
    void exit.then((code) => reject(new Error(`${script} exited ${code} before it was ready: ${stderr}`)));
  });
  return {
    child,
    pid: child.pid!,
    exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** Starts `jsonrpc-fdpass serve-echo` on `socketPath` in a child process. */
export function startServeEcho(socketPath: string): Promise<ServerChild> {
  return startChild('src/cli/main.ts', ['serve-echo', '--socket', socketPath], `listening on ${socketPath}\n`);
}

/** Runs the CLI in this process; collects stdout and stderr. */
export async function runInProcess(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await runCli(args, { stdout, stderr });
  return { code, out, err };
}

/** Runs the CLI as a child process (`node --import tsx src/cli/main.ts ARGS…`). */
export function runChild(
  args: readonly string[],
  options: { stdio?: Array<'ignore' | 'pipe' | number> } = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const stdio = options.stdio ?? ['ignore', 'pipe', 'pipe'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, stdio });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/** Number of fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Asserts the open fd count comes back to `baseline` (closes may land a few ticks late). */
export async function expectFdCount(baseline: number): Promise<void> {
  for (let i = 0; i < 50 && openFdCount() !== baseline; i++) await sleep(10);
  expect(openFdCount()).toBe(baseline);
}
