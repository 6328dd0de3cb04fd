import { fstatSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { Fd } from '../../src/transport/fd.js';

/** Number of fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Asserts the open fd count returns to `baseline`. Some closes happen a few ticks after a test's last
 * await (after a write completes), so poll briefly before failing.
 */
export async function expectFdCount(baseline: number): Promise<void> {
  for (let i = 0; i < 50 && openFdCount() !== baseline; i++) await sleep(10);
  expect(openFdCount()).toBe(baseline);
}

/** An fd on a fresh, already unlinked temp file holding `text`. */
export function textFd(text: string): Fd {
  const dir = mkdtempSync(join(tmpdir(), 'jsonrpc-test-'));
  try {
    const path = join(dir, 'f');
    writeFileSync(path, text);
    return new Fd(openSync(path, 'r'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole content of the regular file behind `fd` (pread: the shared file offset is left alone). */
export function fdText(fd: Fd | number): string {
  const n = typeof fd === 'number' ? fd : fd.value;
  const size = fstatSync(n).size;
  const buffer = Buffer.alloc(size);
  readSync(n, buffer, 0, size, 0);
  return buffer.toString('utf8');
}

/** Inode of the file behind `fd`: the identity of the open file across a pass. */
export function inode(fd: Fd | number): number {
  return fstatSync(typeof fd === 'number' ? fd : fd.value).ino;
}
