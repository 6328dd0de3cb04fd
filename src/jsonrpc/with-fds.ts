import { Fd, type FdLike } from '../transport/fd.js';

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
  readonly result: R;
  readonly fds: readonly FdLike[];
  readonly close: boolean;
  /** Resolves once the response was handed to the kernel (`true`) or could not be sent (`false`). */
  readonly sent: Promise<boolean>;
  #settle!: (sent: boolean) => void;
  #settled = false;

  constructor(result: R, fds: readonly FdLike[], options: WithFdsOptions = {}) {
    this.result = result;
    this.fds = [...fds];
    this.close = options.close ?? true;
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
    if (this.close) {
      for (const fd of this.fds) (typeof fd === 'number' ? new Fd(fd) : fd).close();
    }
    this.#settle(sent);
  }
}

/**
 * Attaches fds to a handler's result; they are sent positionally with the response (`"fds": N`).
 *
 * By default the library owns the fds from here on and closes them after the write (also when the
 * request was a notification or the connection died). Received fds (`ctx.fds`) may be returned as they
 * are: the library closes them only after the response was written.
 */
export function withFds<R>(result: R, fds: readonly FdLike[], options?: WithFdsOptions): WithFds<R> {
  return new WithFds(result, fds, options);
}
