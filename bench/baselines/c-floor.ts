import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SMALL_BYTES } from '../payload.js';
import type { Round } from '../workloads.js';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../c/pingpong.c', import.meta.url));
const buildDir = fileURLToPath(new URL('../.build/', import.meta.url));
const binary = `${buildDir}pingpong`;

/**
 * How the C program splits the two ends: `inline` (one thread, syscalls only), `pinned` (a forked echo
 * child on the same CPU: syscalls plus a context switch per hop) or `fork` (unpinned, cross-CPU wake-ups).
 */
export type Split = 'inline' | 'pinned' | 'fork';

/** Compiles bench/c/pingpong.c with `cc -O2` into bench/.build/ unless the binary is newer. */
export async function buildCFloor(): Promise<void> {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return;
  mkdirSync(buildDir, { recursive: true });
  await run('cc', ['-O2', '-Wall', '-Wextra', '-o', binary, source]);
}

/** Runs the C program for one measured round (after its own warm-up round) and parses its figure. */
function round(args: readonly string[]): Round {
  return async () => {
    await buildCFloor();
    const { stdout } = await run(binary, args);
    const value = Number(stdout.trim());
    if (!Number.isFinite(value)) throw new Error(`pingpong said: ${stdout}`);
    return value;
  };
}

/** µs per sendmsg/recvmsg round trip of {@link SMALL_BYTES} each way, with `fds` (0 or 1) per request. */
export function cRoundTripRound(split: Split, fds: 0 | 1, iterations: number): Round {
  return round([split, fds === 0 ? 'rt0' : 'rt1', String(iterations), '1', String(SMALL_BYTES)]);
}

/** µs per round trip of one message carrying `count` fds (253 per sendmsg) and a small reply. */
export function cManyFdsRound(split: Split, count: number, messages: number): Round {
  return round([split, 'fds', String(count), String(messages), '1']);
}
