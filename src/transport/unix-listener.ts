import { chmodSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { Fd, fdNumber } from './fd.js';
import { nativeAddon, POLL_CLOSED, POLL_READABLE, type NativeAddon, type NativePoller } from './native.js';
import { SystemError } from './system-error.js';
import { UnixSocket, type UnixSocketOptions } from './unix-socket.js';

/** Options of {@link listen}. */
export interface ListenOptions {
  /** chmod(2) mode for the socket file (ignored for abstract names and adopted fds). */
  readonly mode?: number;
  /** listen(2) backlog, 511 by default. */
  readonly backlog?: number;
  /** Aborting closes the listener (and ends its iterator). */
  readonly signal?: AbortSignal;
  /** Passed to every accepted {@link UnixSocket}. */
  readonly maxFdsPerSend?: number;
}

/** Where to listen: a socket path ('@name' is a Linux abstract name) or an already listening fd. */
export type ListenAddress = string | { readonly fd: number };

/** Accept errors that mean "out of a resource for now": back off instead of spinning or failing. */
const TRANSIENT_ACCEPT_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);
const BACKOFF_MIN_MS = 10;
const BACKOFF_MAX_MS = 1000;

interface Waiter {
  resolve(result: IteratorResult<UnixSocket, undefined>): void;
  reject(err: Error): void;
}

/**
 * A listening Unix socket. Iterate it (`for await (const socket of listener)`) to accept connections;
 * connections are accepted only while a consumer waits for one, so unconsumed ones stay in the kernel
 * backlog. Leaving the loop early (`break`) closes the listener.
 */
export class UnixListener implements AsyncIterable<UnixSocket>, AsyncDisposable {
  readonly #native: NativeAddon;
  readonly #fd: number;
  readonly #poller: NativePoller;
  readonly #path: string | null;
  readonly #inode: { dev: number; ino: number } | null;
  readonly #socketOptions: UnixSocketOptions;
  readonly #waiters: Waiter[] = [];
  #closing = false;
  #fdClosed = false;
  #failure: Error | undefined;
  #backoffMs = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  #polling = false;
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  #removeAbort: (() => void) | undefined;

  /** @internal Use {@link listen}. Takes ownership of `fd`. */
  constructor(fd: number, path: string | null, options: ListenOptions) {
    this.#native = nativeAddon();
    this.#fd = fd;
    this.#path = path;
    this.#inode = null;
    if (path !== null && !path.startsWith('@')) {
      const st = lstatSync(path);
      this.#inode = { dev: st.dev, ino: st.ino };
    }
    this.#socketOptions = options.maxFdsPerSend !== undefined ? { maxFdsPerSend: options.maxFdsPerSend } : {};
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#poller = this.#native.pollCreate(fd, (events) => this.#onPoll(events));
    const { signal } = options;
    if (signal) {
      const onAbort = () => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#removeAbort = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** The socket path this listener bound (null for an adopted fd). */
  get path(): string | null {
    return this.#path;
  }

  /** The listening fd (owned by the listener), or -1 once closed. */
  get fd(): number {
    return this.#fdClosed ? -1 : this.#fd;
  }

  /** True once {@link close} was called (or the listener failed or its signal aborted). */
  get closed(): boolean {
    return this.#closing;
  }

  /** Keeps the process alive while the listener waits for connections (the default). */
  ref(): this {
    if (!this.#closing) this.#native.pollRef(this.#poller, true);
    return this;
  }

  /** Lets the process exit even though the listener is open. */
  unref(): this {
    if (!this.#closing) this.#native.pollRef(this.#poller, false);
    return this;
  }

  /** Waits for the next connection; `done` once the listener is closed. */
  accept(): Promise<IteratorResult<UnixSocket, undefined>> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      // Try at once: a connection may already wait in the backlog.
      this.#acceptPending();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<UnixSocket, undefined> {
    return {
      next: () => this.accept(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Stops accepting, ends the iterator, closes the fd and removes the socket file it created (if it
   * is still the same file). Resolves when the fd is closed.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closedPromise;
    this.#closing = true;
    this.#removeAbort?.();
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    this.#unlinkOwnFile();
    this.#native.pollClose(this.#poller);
    for (const w of this.#waiters.splice(0)) w.resolve({ done: true, value: undefined });
    return this.#closedPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #unlinkOwnFile(): void {
    if (this.#path === null || this.#inode === null) return;
    try {
      const st = lstatSync(this.#path);
      // Someone may have replaced it (e.g. a newer server instance): then it is not ours to remove.
      if (st.dev === this.#inode.dev && st.ino === this.#inode.ino) unlinkSync(this.#path);
    } catch {
      /* already gone */
    }
  }

  #onPoll(events: number): void {
    if (events === POLL_CLOSED) {
      this.#fdClosed = true;
      this.#resolveClosed();
      return;
    }
    if (this.#closing) return;
    if (events < 0) {
      this.#fail(new SystemError('poll', getSystemErrorName(events), -events));
      return;
    }
    this.#acceptPending();
  }

  #acceptPending(): void {
    while (this.#waiters.length > 0 && !this.#closing && this.#backoffTimer === undefined) {
      let fd: number;
      try {
        fd = this.#native.accept(this.#fd);
      } catch (err) {
        const code = (err as SystemError).code;
        if (TRANSIENT_ACCEPT_ERRORS.has(code)) {
          this.#backOff();
          return;
        }
        this.#fail(err as Error);
        return;
      }
      if (fd < 0) break;
      this.#backoffMs = 0;
      let socket: UnixSocket;
      try {
        socket = new UnixSocket(fd, this.#socketOptions);
      } catch (err) {
        new Fd(fd).close();
        this.#fail(err as Error);
        return;
      }
      this.#waiters.shift()?.resolve({ done: false, value: socket });
    }
    this.#setPolling(this.#waiters.length > 0 && this.#backoffTimer === undefined);
  }

  /** Out of fds or memory: stop watching (the listener stays readable) and try again later. */
  #backOff(): void {
    this.#setPolling(false);
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.#backoffMs * 2));
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#acceptPending();
    }, this.#backoffMs);
  }

  #setPolling(on: boolean): void {
    if (on === this.#polling || this.#closing) return;
    this.#polling = on;
    this.#native.pollSet(this.#poller, on ? POLL_READABLE : 0);
  }

  #fail(err: Error): void {
    this.#failure = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
    void this.close();
  }
}

/**
 * Listens on a Unix socket. A stale socket file at `path` (connecting to it is refused) is replaced;
 * a live one fails with EADDRINUSE. `{ fd }` adopts an already listening socket (socket activation).
 */
export async function listen(address: ListenAddress, options: ListenOptions = {}): Promise<UnixListener> {
  const native = nativeAddon();
  options.signal?.throwIfAborted();
  if (typeof address !== 'string') {
    const fd = fdNumber(address.fd); // refuses what the addon would truncate (3.5 adopting fd 3)
    if (!isListeningSocket(fd)) {
      throw new SystemError('listen', 'EINVAL', 22, `fd ${fd} is not a listening socket`);
    }
    return new UnixListener(fd, null, options);
  }
  const fd = native.socket();
  try {
    bindReplacingStale(native, fd, address);
    native.listen(fd, options.backlog ?? 511);
    // chmod after bind leaves a short window with umask permissions; callers wanting a strict mode
    // should listen inside a directory with the right permissions.
    if (options.mode !== undefined && !address.startsWith('@')) chmodSync(address, options.mode);
    return new UnixListener(fd, address, options);
  } catch (err) {
    native.close(fd);
    throw err;
  }
}

function bindReplacingStale(native: NativeAddon, fd: number, path: string): void {
  try {
    native.bind(fd, path);
    return;
  } catch (err) {
    if ((err as SystemError).code !== 'EADDRINUSE' || path.startsWith('@')) throw err;
    // bind(2) says EADDRINUSE for any existing file; "in use" misleads when it is a file or directory.
    // It is never replaced (only stale sockets are), but the error says what is there. The code stays
    // EADDRINUSE: it is what bind returned, and callers that check it keep working.
    const kind = nonSocketKind(path);
    if (kind !== null) {
      throw new SystemError('bind', 'EADDRINUSE', (err as SystemError).errno, `${path} exists and is not a socket but ${kind}; not replacing it`);
    }
    if (!isStaleSocketFile(native, path)) throw err;
  }
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  native.bind(fd, path);
}

/** What `path` is when it exists and is not a socket ("a directory", …), else null. */
function nonSocketKind(path: string): string | null {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (st.isSocket()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  return 'a device or other special file';
}

/** True when `path` is a socket file nobody listens on (connect is refused). */
function isStaleSocketFile(native: NativeAddon, path: string): boolean {
  try {
    if (!lstatSync(path).isSocket()) return false;
  } catch {
    return true; // vanished meanwhile: binding again will tell
  }
  const probe = native.socket();
  try {
    native.connect(probe, path);
    return false;
  } catch (err) {
    const code = (err as SystemError).code;
    return code === 'ECONNREFUSED' || code === 'ENOENT';
  } finally {
    native.close(probe);
  }
}

/** True when `fd` is a listening socket (SO_ACCEPTCONN), as opposed to a connected one. */
export function isListeningSocket(fd: number | Fd): boolean {
  return nativeAddon().isListening(fdNumber(fd));
}
