import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdversarialEchoServer, RESPONSE_STYLES } from './adversarial-echo-server.js';
import type { CaseResult } from './live-case.js';

/** The environment variable that tells the client command where the server listens. */
export const CLIENT_SOCKET_ENV = 'JSONRPC_FDPASS_SOCKET';

/** Options of {@link runClientCheck}. */
export interface ClientCheckOptions {
  /** Run with `sh -c`. */
  readonly command: string;
  /** The client (its whole process group) is killed with SIGKILL after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Where the client's own stdout/stderr go (passed through as they come). */
  readonly output?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  readonly onResult?: (result: CaseResult) => void;
}

interface ClientExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly error?: Error;
}

function runCommand(command: string, socketPath: string, options: ClientCheckOptions): Promise<ClientExit> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], {
      env: { ...process.env, [CLIENT_SOCKET_ENV]: socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a timeout kills what the shell started too (they hold our pipes).
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => options.output?.stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => options.output?.stderr.write(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, error });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
}

/**
 * Runs a client command against an {@link AdversarialEchoServer} and judges it: the client must exit 0,
 * must have made at least one call, and must not have sent a malformed stream. One result per
 * response style tells which awkward writes the client actually survived.
 */
export async function runClientCheck(options: ClientCheckOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const record = (result: CaseResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  const dir = mkdtempSync(join(tmpdir(), 'jsonrpc-fdpass-client-check-'));
  try {
    const server = await AdversarialEchoServer.listen(join(dir, 'echo.sock'));
    let exit: ClientExit;
    try {
      exit = await runCommand(options.command, join(dir, 'echo.sock'), options);
    } finally {
      await server.close();
    }
    const { stats } = server;

    const ok = exit.code === 0 && !exit.timedOut;
    if (ok) record({ name: 'client-exits-0', status: 'pass' });
    else {
      const why = exit.error
        ? `could not run the command: ${exit.error.message}`
        : exit.timedOut
          ? `still running after ${options.timeoutMs ?? 60_000} ms (killed)`
          : exit.signal
            ? `killed by ${exit.signal}`
            : `exit code ${String(exit.code)}`;
      record({ name: 'client-exits-0', status: 'fail', reason: why });
    }

    const total = [...stats.calls.values()].reduce((a, b) => a + b, 0);
    const methods = [...stats.calls].map(([m, n]) => `${m}×${n}`).join(', ');
    record(
      total > 0
        ? { name: 'client-made-calls', status: 'pass' }
        : { name: 'client-made-calls', status: 'fail', reason: `no request reached the server (${stats.connections} connections)` },
    );
    if (total > 0) options.output?.stderr.write(`calls: ${methods}\n`);

    record(
      stats.protocolErrors.length === 0
        ? { name: 'client-stream-well-formed', status: 'pass' }
        : { name: 'client-stream-well-formed', status: 'fail', reason: stats.protocolErrors.join('; ') },
    );

    // When the client failed, a style it got past (it sent another request on that connection after
    // such a response) is not to blame: only the others fail.
    for (const style of RESPONSE_STYLES) {
      const n = stats.styles.get(style) ?? 0;
      const name = `client-survives-${style}-responses`;
      if (n === 0) record({ name, status: 'skip', reason: 'no response was written this way (make at least 3 calls)' });
      else if (ok || (stats.survived.get(style) ?? 0) > 0) record({ name, status: 'pass' });
      else record({ name, status: 'fail', reason: `the client failed after ${n} such responses` });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
