// Runs the reference server (`serve-echo`) in a child process, so tests can attack it over real sockets
// and read its fd table (/proc/<pid>/fd) from outside.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServeEcho, type ServerChild } from '../support/cli-child.js';
import { processFdCount } from '../support/fd-count.js';

export interface EchoChild extends Omit<ServerChild, 'stop'> {
  readonly socketPath: string;
  /** SIGTERM (graceful), then SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<number | null>;
}

/** Starts `serve-echo --socket socketPath` and resolves once it prints that it listens. */
export async function startEchoChild(socketPath: string): Promise<EchoChild> {
  const { child, pid, exit, stderr } = await startServeEcho(socketPath);
  return {
    child,
    pid,
    socketPath,
    exit,
    stderr,
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
