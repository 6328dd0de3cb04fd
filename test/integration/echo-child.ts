// Runs the reference server (`serve-echo`) in a child process, so tests can attack it over real sockets
// and read its fd table (/proc/<pid>/fd) from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface EchoChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly socketPath: string;
  /** Resolves with the exit code once the child exited. */
  readonly exit: Promise<number | null>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM (graceful), then SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<number | null>;
}

/** Starts `serve-echo --socket socketPath` and resolves once it prints that it listens. */
export async function startEchoChild(socketPath: string): Promise<EchoChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve-echo', '--socket', socketPath], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(`listening on ${socketPath}\n`)) resolve();
    });
    void exit.then((code) => reject(new Error(`serve-echo exited ${code}: ${err}`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve-echo has no pid');
  return {
    child,
    pid,
    socketPath,
    exit,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Number of fds process `pid` has open. */
export function processFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of process `pid` in bytes. */
export function processRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Polls until process `pid` has `expected` fds open (closes may lag a loop turn); returns the last count. */
export async function settledFdCount(pid: number, expected: number, timeoutMs = 2000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let n = processFdCount(pid);
  while (n !== expected && Date.now() < until) {
    await sleep(10);
    n = processFdCount(pid);
  }
  return n;
}
