import { closeSync } from 'node:fs';
import { loadedAddon } from './native.js';

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
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`not a file descriptor: ${String(fd)}`);
    this.#fd = fd;
  }

  /** The descriptor number. Throws once the fd was closed or taken. */
  get value(): number {
    if (this.#fd < 0) throw new Error('fd is closed or was taken');
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

/** The raw number of an {@link FdLike}. */
export function fdNumber(fd: FdLike): number {
  return typeof fd === 'number' ? fd : fd.value;
}
