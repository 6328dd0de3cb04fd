import { createRequire } from 'node:module';
import { SystemError } from './system-error.js';

/** Opaque handle of a native readiness watcher (a `uv_poll_t` owning one fd). */
export interface NativePoller {
  readonly __brand: 'NativePoller';
}

/** Readiness bits passed to a poller callback (libuv's values). */
export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;
/** Passed to a poller callback once, after its fd was closed. */
export const POLL_CLOSED = 0x100;

/**
 * The C addon (`native/fdpass_native.c`). Every fd it creates is nonblocking and close-on-exec. Failures
 * throw {@link SystemError}; EAGAIN on `send`, `recv` and `accept` is the return value -1 instead, since
 * it is on the hot path.
 *
 * "Owned" fds: the addon remembers, per thread, the fds it handed out that no poller holds (received,
 * pipe, dup) until they are closed or released through it, and closes the rest when the thread's env
 * is torn down (a terminated worker runs no JS, so its Fd objects cannot close them).
 */
export interface NativeAddon {
  /** Linux SCM_MAX_FD: the most fds one sendmsg may carry. */
  readonly MAX_FDS: number;
  init(systemError: new (syscall: string, code: string, errno: number) => Error): void;
  socket(): number;
  socketpair(): [number, number];
  /** pipe2(O_CLOEXEC): [read end, write end], blocking, both owned. */
  pipe(): [number, number];
  /** Throws EAGAIN when the listener's backlog is full (Linux never returns EINPROGRESS here). */
  connect(fd: number, path: string): void;
  /** `path` starting with '@' names a Linux abstract socket. */
  bind(fd: number, path: string): void;
  listen(fd: number, backlog: number): void;
  /** A new connected fd, or -1 when none is pending. */
  accept(fd: number): number;
  /** Bytes sent (fds ride the first byte) or -1 on EAGAIN (nothing sent). */
  send(
    fd: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
    fds: Int32Array | null,
    fdStart: number,
    fdCount: number,
  ): number;
  /**
   * Bytes received (0 = EOF) or -1 on EAGAIN; received fds are owned (see `release`). `out` (length ≥ 2 + MAX_FDS) receives the fd count in
   * `out[0]`, 1 in `out[1]` when MSG_CTRUNC was set, and the fds from `out[2]`. A peek installs no fds.
   */
  recv(fd: number, buf: Uint8Array, offset: number, length: number, peek: boolean, out: Int32Array): number;
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  isListening(fd: number): boolean;
  /** Pending socket error (SO_ERROR, cleared by reading), 0 when none. */
  socketError(fd: number): number;
  shutdownWrite(fd: number): void;
  /** Closes `fd` (never retried) and forgets it as owned. Throws only EBADF. */
  close(fd: number): void;
  /** Forgets `fd` as owned (ownership left the library): it is then not closed at env teardown. */
  release(fd: number): void;
  /** F_DUPFD_CLOEXEC; the new fd is owned (closed at env teardown unless closed or released before). */
  dup(fd: number): number;
  /** Takes ownership of `fd` on success. `callback` gets readiness bits, a negative errno or POLL_CLOSED. */
  pollCreate(fd: number, callback: (events: number) => void): NativePoller;
  pollSet(poller: NativePoller, events: number): void;
  pollRef(poller: NativePoller, ref: boolean): void;
  /** Stops watching and closes the fd after libuv released the handle; then the callback gets POLL_CLOSED. */
  pollClose(poller: NativePoller): void;
}

/** The addon is missing (not built) or cannot be loaded on this platform. */
export class NativeAddonError extends Error {
  override readonly name = 'NativeAddonError';
  readonly code = 'ERR_NATIVE_ADDON';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

let loaded: NativeAddon | undefined;

/**
 * The addon if this thread loaded it already, else undefined (never loads it: codec-only users and
 * in-memory transports work without it).
 */
export function loadedAddon(): NativeAddon | undefined {
  return loaded;
}

/**
 * Loads the addon on first use. Resolved relative to this module so the same path works from
 * `src/transport` (tests, tsx) and `dist/transport` (published).
 */
export function nativeAddon(): NativeAddon {
  if (loaded) return loaded;
  if (process.platform !== 'linux') {
    throw new NativeAddonError(`jsonrpc-fdpass needs Linux (Unix fd passing); this is ${process.platform}`);
  }
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require('../../build/Release/fdpass_native.node') as NativeAddon;
  } catch (cause) {
    throw new NativeAddonError(
      'the jsonrpc-fdpass native addon is not built (build/Release/fdpass_native.node): run npm install ' +
        '(or node scripts/build-addon.mjs)',
      { cause },
    );
  }
  addon.init(SystemError);
  loaded = addon;
  return addon;
}
