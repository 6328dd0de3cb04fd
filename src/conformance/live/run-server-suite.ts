import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Fd } from '../../transport/fd.js';
import { SystemError } from '../../transport/system-error.js';
import { CaseFailure, CaseSkip, type CaseContext, type CaseResult, type LiveCase } from './live-case.js';
import { RawConnection } from './raw-connection.js';
import { expectResult, expectServerUp, requestText } from './response-checks.js';
import { serverCases } from './server-cases.js';

/** Options of {@link runServerSuite}. */
export interface ServerSuiteOptions {
  /** Socket path of the server under test. */
  readonly socketPath: string;
  /** The server's process id: enables the fd leak check (counts /proc/PID/fd). */
  readonly pid?: number;
  /** Wait for one expected reply or close. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Only run cases whose names contain one of these strings. */
  readonly only?: readonly string[];
  /** Called with each result as soon as it is known. */
  readonly onResult?: (result: CaseResult) => void;
}

/** A case that hangs past this is failed, so one stuck case cannot stall the suite. */
const CASE_LIMIT_MS = 60_000;
/** How long the server's fd count may take to come back down after the last case. */
const LEAK_SETTLE_MS = 3000;

class SuiteContext implements CaseContext {
  readonly socketPath: string;
  readonly timeoutMs: number;
  readonly #connections: RawConnection[] = [];
  readonly #fds: Fd[] = [];
  readonly #dir: string;

  constructor(socketPath: string, timeoutMs: number, dir: string) {
    this.socketPath = socketPath;
    this.timeoutMs = timeoutMs;
    this.#dir = dir;
  }

  async open(): Promise<RawConnection> {
    const conn = await RawConnection.open(this.socketPath, AbortSignal.timeout(this.timeoutMs));
    this.#connections.push(conn);
    return conn;
  }

  textFd(text: string): Fd {
    const path = join(this.#dir, `f${this.#fds.length}`);
    writeFileSync(path, text);
    const fd = new Fd(openSync(path, 'r'));
    rmSync(path);
    this.#fds.push(fd);
    return fd;
  }

  nullFd(): Fd {
    const fd = new Fd(openSync('/dev/null', 'r'));
    this.#fds.push(fd);
    return fd;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#connections.splice(0).map((conn) => conn[Symbol.asyncDispose]()));
    Fd.closeAll(this.#fds.splice(0));
  }
}

/** Calls every method once (echo, readFile, createPipe); the fds that come back are closed. */
async function warmUp(ctx: CaseContext): Promise<void> {
  const conn = await ctx.open();
  await conn.write(requestText(1, 'echo', []) + requestText(2, 'createPipe', {}));
  for (const id of [1, 2]) Fd.closeAll((await expectResult(conn, id, ctx.timeoutMs)).fds);
  await conn.write(requestText(3, 'readFile', {}, 1), [ctx.textFd('warm-up')]);
  Fd.closeAll((await expectResult(conn, 3, ctx.timeoutMs)).fds);
}

/** True when `pid` has exited (gone, or a zombie nobody reaped yet: its /proc/PID/fd is empty). */
function processGone(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return true;
  }
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  return state === 'Z' || state === 'X';
}

function openFdCount(pid: number): number {
  if (processGone(pid)) throw new CaseFailure(`the server process ${pid} has exited`);
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function runCase(liveCase: LiveCase, socketPath: string, timeoutMs: number, dir: string): Promise<CaseResult> {
  const ctx = new SuiteContext(socketPath, timeoutMs, dir);
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CaseFailure(`the case did not finish within ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
    });
    await Promise.race([liveCase.run(ctx), limit]);
    return { name: liveCase.name, status: 'pass' };
  } catch (error) {
    if (error instanceof CaseSkip) return { name: liveCase.name, status: 'skip', reason: error.message };
    if (error instanceof CaseFailure) return { name: liveCase.name, status: 'fail', reason: error.message };
    if (error instanceof SystemError && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) {
      // A write of the case failed: the server closed (or reset) the connection before reading it all.
      return { name: liveCase.name, status: 'fail', reason: `the server closed the connection while the request was still being written (${error.message})` };
    }
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { name: liveCase.name, status: 'fail', reason: `unexpected error: ${detail}` };
  } finally {
    clearTimeout(timer);
    await ctx.dispose();
  }
}

/**
 * Runs the live adversarial cases against a jsonrpc-fdpass server implementing the echo contract, each
 * on its own connection, then checks that the server is still up and (with `pid`) that its open fd
 * count came back to where it was after a warm-up.
 */
export async function runServerSuite(options: ServerSuiteOptions): Promise<CaseResult[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const results: CaseResult[] = [];
  const record = (result: CaseResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  const dir = mkdtempSync(join(tmpdir(), 'jsonrpc-fdpass-conformance-'));
  try {
    const selected = serverCases.filter(
      (c) => options.only === undefined || options.only.length === 0 || options.only.some((part) => c.name.includes(part)),
    );

    // Warm up every method once so that lazily opened fds of the server do not count as leaks.
    let baseline: number | undefined;
    let baselineError: string | undefined;
    if (options.pid !== undefined) {
      const ctx = new SuiteContext(options.socketPath, timeoutMs, dir);
      try {
        await warmUp(ctx);
      } catch {
        // The cases will tell what is wrong; the baseline is still worth taking.
      } finally {
        await ctx.dispose();
      }
      await sleep(100);
      try {
        baseline = openFdCount(options.pid);
      } catch (error) {
        baselineError = error instanceof Error ? error.message : String(error);
      }
    }

    for (const liveCase of selected) record(await runCase(liveCase, options.socketPath, timeoutMs, dir));

    record(
      await runCase(
        { name: 'server-still-up-after-the-suite', run: (ctx) => expectServerUp(ctx, 'after the suite') },
        options.socketPath,
        timeoutMs,
        dir,
      ),
    );

    const leakCase: LiveCase = {
      name: 'no-fd-leak-in-the-server',
      async run() {
        if (options.pid === undefined) throw new CaseSkip('needs --pid');
        if (processGone(options.pid)) throw new CaseFailure(`the server process ${options.pid} has exited`);
        if (baseline === undefined) throw new CaseSkip(`cannot count /proc/${options.pid}/fd: ${baselineError ?? 'unknown'}`);
        const deadline = Date.now() + LEAK_SETTLE_MS;
        let now = openFdCount(options.pid);
        while (now > baseline && Date.now() < deadline) {
          await sleep(50);
          now = openFdCount(options.pid);
        }
        if (now > baseline) {
          throw new CaseFailure(`the server holds ${now - baseline} more fds than before the suite (${baseline} → ${now})`);
        }
      },
    };
    record(await runCase(leakCase, options.socketPath, timeoutMs, dir));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
