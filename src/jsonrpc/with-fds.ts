import { Fd, checkFds, isFdNumber, type FdLike } from '../transport/fd.js';

/** Options of {@link withFds}. */
export interface WithFdsOptions {
  /**
   * Whether the library closes the fds once the response was written (or could not be). Default
   * `true`: ownership passes to the library. With `false` the fds are only borrowed: keep them open
   * until {@link WithFds.sent} resolves, then close them yourself.
   */
  readonly close?: boolean;
}

/** A handler result with fds attached to its response. Build it with {@link withFds}. */
export class WithFds<R> {
  /** The handler's result, sent as the response's `result`. */
  readonly result: R;
  /** The fds sent with the response, positionally (a copy of the array given). */
  readonly fds: readonly FdLike[];
  /** Whether the library closes {@link fds} once the response was written or dropped ({@link WithFdsOptions.close}). */
  readonly close: boolean;
  /** Resolves once the response was handed to the kernel (`true`) or could not be sent (`false`). */
  readonly sent: Promise<boolean>;
  #settle!: (sent: boolean) => void;
  #settled = false;

  /**
   * Throws `InvalidFdError` (or `FdClosedError`) when an entry is not an open `Fd` or an
   * integer 0…2**31-1: found here, inside the handler, the caller gets a -32603 naming the bad fd
   * instead of a failed send (or, for values a typed array coerces, the wrong fd sent). With
   * `close: true` the valid fds are closed before throwing: ownership passed at this call.
   */
  constructor(result: R, fds: readonly FdLike[], options: WithFdsOptions = {}) {
    this.result = result;
    this.close = options.close ?? true;
    try {
      checkFds(fds);
    } catch (error) {
      if (this.close && Array.isArray(fds)) closeQuietly(fds);
      throw error;
    }
    this.fds = [...fds];
    this.sent = new Promise<boolean>((resolve) => {
      this.#settle = resolve;
    });
  }

  /**
   * Called by the peer once the response carrying these fds was written or dropped: closes the fds
   * when the library owns them, then resolves {@link sent}. Idempotent.
   * @internal
   */
  settle(sent: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.close) closeQuietly(this.fds);
    this.#settle(sent);
  }
}

/**
 * Closes the valid entries of `fds` and skips the rest. Never throws: it runs where the peer releases a
 * handler slot, and a throw there would leave the slot taken (a graceful close waiting forever) and
 * surface as an unhandled rejection.
 */
function closeQuietly(fds: readonly unknown[]): void {
  for (const fd of fds) {
    if (fd instanceof Fd) fd.close();
    else if (isFdNumber(fd)) new Fd(fd).close();
  }
}

/**
 * Attaches fds to a handler's result; they are sent positionally with the response (`"fds": N`).
 *
 * By default the library owns the fds from here on and closes them after the write (also when the
 * request was a notification or the connection died). Received fds (`ctx.fds`) may be returned as they
 * are: the library closes them only after the response was written. Throws `InvalidFdError` for an
 * entry that is not an open `Fd` or an fd number (see {@link WithFds} constructor).
 */
export function withFds<R>(result: R, fds: readonly FdLike[], options?: WithFdsOptions): WithFds<R> {
  return new WithFds(result, fds, options);
}
