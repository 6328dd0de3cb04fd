import { closeSync } from 'node:fs';
import { loadedAddon } from './native.js';

/** Largest descriptor number: fds are C ints, and sendmsg's fd array is an `Int32Array`. */
export const MAX_FD = 2 ** 31 - 1;

/**
 * A value that cannot stand for a file descriptor: not an integer in 0…2**31-1, or not a number or an
 * {@link Fd} at all. Checked before anything is written, because coercing such a value (as a typed
 * array would) silently turns `'abc'`, `true` or `1.5` into fds 0 or 1 and sends stdin or stdout.
 */
export class InvalidFdError extends RangeError {
  override readonly name: string = 'InvalidFdError';
  readonly code: string = 'ERR_INVALID_FD';
}

/** An {@link Fd} was used after it was closed or taken. An {@link InvalidFdError}: it cannot be sent either. */
export class FdClosedError extends InvalidFdError {
  override readonly name: string = 'FdClosedError';
  override readonly code: string = 'ERR_FD_CLOSED';
  constructor(message = 'fd is closed or was taken') {
    super(message);
  }
}

/** A short rendering of a caller's value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/** True when `n` is a valid descriptor number (an integer 0…{@link MAX_FD}). */
export function isFdNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_FD;
}

/**
 * An owned file descriptor.
 *
 * Exactly one owner closes an fd: whoever holds the `Fd` calls {@link Fd.close} (or disposes it with
 * `using`), or hands the number over with {@link Fd.take}, after which this object no longer closes it.
 * The library never relies on garbage collection to close descriptors.
 */
export class Fd implements Disposable {
  #fd: number;

  /** Wraps `fd`, taking ownership of it. */
  constructor(fd: number) {
    if (!isFdNumber(fd)) throw new InvalidFdError(`not a file descriptor: ${describeValue(fd)}`);
    this.#fd = fd;
  }

  /** The descriptor number. Throws {@link FdClosedError} once the fd was closed or taken. */
  get value(): number {
    if (this.#fd < 0) throw new FdClosedError();
    return this.#fd;
  }

  /** True once the fd was closed or taken. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Gives up ownership and returns the number; the caller must close it. */
  take(): number {
    const fd = this.value;
    this.#fd = -1;
    // The addon closes fds it handed out that are still owned when a worker thread ends; this one left.
    loadedAddon()?.release(fd);
    return fd;
  }

  /** Closes the fd. Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    // close(2) is never retried: on Linux the fd is released even when close reports an error. The
    // addon's close is one N-API call (cheaper than fs.closeSync) and also forgets the fd as owned.
    const addon = loadedAddon();
    try {
      if (addon !== undefined) addon.close(fd);
      else closeSync(fd);
    } catch {
      /* EBADF/EIO after release: nothing left to do */
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes every fd in `fds` that is still open. */
  static closeAll(fds: Iterable<Fd>): void {
    for (const fd of fds) fd.close();
  }

  toString(): string {
    return this.#fd < 0 ? 'Fd(closed)' : `Fd(${this.#fd})`;
  }
}

/** Something that stands for an fd to send: an owned {@link Fd} (borrowed for the send) or a raw number. */
export type FdLike = Fd | number;

/**
 * The raw number of an {@link FdLike}. Throws {@link InvalidFdError} for anything that is not an integer
 * 0…{@link MAX_FD} or an {@link Fd} (callers may pass untyped values: JavaScript, JSON, `as any`), and
 * {@link FdClosedError} for a closed or taken `Fd`.
 */
export function fdNumber(fd: FdLike): number {
  if (fd instanceof Fd) return fd.value;
  if (isFdNumber(fd)) return fd;
  throw new InvalidFdError(`not a file descriptor: ${describeValue(fd)}`);
}

/**
 * Checks every entry of `fds` ({@link fdNumber}) without sending anything, so a write with one bad fd
 * fails as a whole before any byte or descriptor leaves. Throws on the first bad entry.
 */
export function checkFds(fds: readonly FdLike[]): void {
  if (!Array.isArray(fds)) throw notAnFdArray(fds);
  for (const fd of fds) fdNumber(fd);
}

/**
 * The error for an `fds` argument that is not an array. A single `Fd` in its place would otherwise
 * have its `length` read as 0 and the message go out without it.
 */
export function notAnFdArray(fds: unknown): InvalidFdError {
  return new InvalidFdError(`fds must be an array, not ${describeValue(fds)}`);
}
