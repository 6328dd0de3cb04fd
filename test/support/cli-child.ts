// Running the jsonrpc-fdpass command (and other TypeScript programs) from tests: in this process, or
// as a child process with `node --import tsx`.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run-cli.js';

/** The repository root: children run from here with `node --import tsx`. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The command's entry point, relative to {@link root}. */
export const CLI_MAIN = 'src/cli/main.ts';

/** A child process that printed its ready line. */
export interface ServerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code once the child exited. */
  readonly exit: Promise<number | null>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL unless it already exited; resolves once it exited. */
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
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${script} has no pid`);
  return {
    child,
    pid,
    exit,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** Starts `jsonrpc-fdpass serve-echo` on `socketPath` in a child process. */
export function startServeEcho(socketPath: string): Promise<ServerChild> {
  return startChild(CLI_MAIN, ['serve-echo', '--socket', socketPath], `listening on ${socketPath}\n`);
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
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { cwd: root, stdio });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}
