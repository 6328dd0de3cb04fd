// Fd accounting for every test layer: counts from /proc and the "no fd leaked" check.
import { readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect } from 'vitest';

/** Number of fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * This process's open fd numbers, without the one readdir holds on /proc/self/fd while listing it (it
 * takes the lowest free number, which may be one just closed). Comparing these as sets, rather than
 * counts, is immune to node closing an fd of its own meanwhile.
 */
export function openFdNumbers(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((n) => {
      try {
        return !readlinkSync(`/proc/self/fd/${n}`).startsWith('/proc/');
      } catch {
        return false; // gone already: readdir's own fd
      }
    });
}

/** Number of fds process `pid` has open. */
export function processFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Asserts the open fd count returns to `baseline`. Some closes land a few ticks after a test's last
 * await (after a write completes, uv_close a loop turn later), so it polls for up to `timeoutMs` first.
 */
export async function expectFdCount(baseline: number, timeoutMs = 500): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (openFdCount() !== baseline && Date.now() < until) await sleep(10);
  expect(openFdCount()).toBe(baseline);
}

/** How {@link expectNoFdLeaks} checks after each test. */
export interface FdLeakCheck {
  /** Runs first: closes what the test left for the hook to close. */
  readonly cleanup?: () => unknown;
  /** Awaited before one exact count, instead of polling (e.g. a few loop turns). */
  readonly settle?: () => Promise<void>;
  /** How long to poll for late closes; 0 checks at once. */
  readonly timeoutMs?: number;
}

/** The fds open now, as a set of {@link openFdNumbers}: a baseline for {@link expectNoNewFds}. */
export function openFds(): ReadonlySet<number> {
  return new Set(openFdNumbers());
}

/** The fds open now that were not open at `baseline`. */
function openedSince(baseline: ReadonlySet<number>): number[] {
  return openFdNumbers().filter((fd) => !baseline.has(fd));
}

/**
 * Asserts that no fd is open that was not open at `baseline` ({@link openFds}), polling for up to
 * `timeoutMs` for late closes first. Compared as sets of fd numbers: an fd that was open at the start
 * and closed meanwhile (a previous test's child pipe closing late, node closing one of its own) is not
 * a leak, and a count would call it one. Fails naming the fds that leaked.
 */
export async function expectNoNewFds(baseline: ReadonlySet<number>, timeoutMs = 500): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (openedSince(baseline).length > 0 && Date.now() < until) await sleep(10);
  expect(openedSince(baseline)).toEqual([]);
}

/**
 * Registers hooks asserting that every test (in the file or describe block) opens no fd it does not
 * close ({@link expectNoNewFds}). Returns the running test's starting count.
 */
export function expectNoFdLeaks(check: FdLeakCheck = {}): () => number {
  let baseline: ReadonlySet<number> = new Set();
  let baselineCount = 0;
  beforeEach(() => {
    baseline = openFds();
    baselineCount = openFdCount();
  });
  afterEach(async () => {
    await check.cleanup?.();
    if (check.settle !== undefined) await check.settle();
    await expectNoNewFds(baseline, check.settle === undefined ? check.timeoutMs : 0);
  });
  return () => baselineCount;
}
