import { isUint8Array } from 'node:util/types';
import { describeValue, notAnFdArray, type Fd, type FdLike } from './fd.js';
import { InvalidWriteError } from './system-error.js';

/** Credentials of the process on the other end of a Unix socket (SO_PEERCRED). */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * What a transport reports. Exactly one of `end` (orderly EOF from the peer) or `error` may precede
 * `close`, which comes exactly once, last.
 */
export interface TransportHandlers {
  /**
   * Bytes read by one receive call and the fds that arrived with them (in order). The handler owns the
   * fds from here on. `bytes` may be empty when only fds arrived.
   */
  data(bytes: Buffer, fds: Fd[]): void;
  /** The peer shut down its writing side; no more `data` follows. */
  end(): void;
  /** A read or write failed (e.g. ECONNRESET, MSG_CTRUNC); the transport is destroyed right after. */
  error(err: Error): void;
  /** The transport is closed; pending writes were rejected, queued received fds closed. */
  close(): void;
  /** Every queued write was handed to the kernel, after one had to wait for room (the peer read slowly). */
  drain?(): void;
}

/**
 * An already resolved promise that {@link Transport.write} may return when the write was handed to the
 * kernel within the call. Callers may compare against it to do their after-write work at once instead
 * of in a `then` (one promise reaction and closure less per message); any other promise is awaited.
 */
export const WRITTEN: Promise<void> = Promise.resolve();

/** Options for one {@link Transport.write}. */
export interface WriteOptions {
  /**
   * Byte sent as the payload of continuation writes when `fds` needs more than one sendmsg
   * (jsonrpc-fdpass uses 0x20). Without it, more fds than one sendmsg carries is an error.
   */
  readonly filler?: number;
}

/**
 * A bidirectional byte stream that carries file descriptors (a connected SOCK_STREAM Unix socket, or an
 * in-memory pair for tests).
 *
 * Sending: each `write` is delivered in order. Its fds ride the first byte of its bytes (one sendmsg);
 * when they exceed what one sendmsg carries (253 on Linux, halved on EINVAL), the rest follow in
 * continuation sendmsg calls of one `filler` byte each, before any byte of a later write. A partial
 * write never resends fds. Outgoing fds are borrowed: the caller keeps ownership and must keep them
 * open until the returned promise settles.
 */
export interface Transport extends AsyncDisposable {
  /** Starts delivering events to `handlers`. Called once. */
  start(handlers: TransportHandlers): void;

  /**
   * Queues `bytes` with `fds` attached to its first byte. Resolves when all of it was handed to the
   * kernel; rejects (and sends nothing more of it) when the transport fails or closes first.
   * Writing fds with empty `bytes` is refused: a 0-byte sendmsg would deliver no fds.
   */
  write(bytes: Uint8Array, fds?: readonly FdLike[], options?: WriteOptions): Promise<void>;

  /** Bytes queued but not yet handed to the kernel. */
  readonly writableLength: number;

  /** Stops reading (backpressure towards the peer) until {@link resume}. */
  pause(): void;
  resume(): void;

  /**
   * When set, every receive call stops right after the first occurrence of `byte` (found by peeking),
   * so that one read never spans two delimited messages. Varlink uses NUL on fd-enabled connections.
   */
  setReadBoundary(byte: number | null): void;

  /** Flushes queued writes, then shuts down the writing side (half-close). */
  end(): Promise<void>;

  /**
   * Closes at once: pending writes reject with `err` (or TransportClosedError), fds received but not
   * delivered are closed. Idempotent.
   */
  destroy(err?: Error): void;

  /** Flushes queued writes, then closes. Resolves when closed. */
  close(): Promise<void>;

  /** True once closed or destroyed. */
  readonly closed: boolean;

  /** Peer process credentials, or `null` when the transport has none (in-memory). */
  peerCredentials(): PeerCredentials | null;
}

/**
 * The error for `write` arguments of the wrong type, or `undefined`. Bytes that are not a Uint8Array
 * (a string, a number array) would fail inside sendmsg and take the connection down; an `fds` that is
 * not an array (a single `Fd`) would have its `length` read as 0 and the write go out without its fd.
 * Transports check this before queueing, so only that write fails. `instanceof` answers the common
 * case without a call; `isUint8Array` accepts another realm's Buffer.
 */
export function writeArgumentError(bytes: unknown, fds: unknown): Error | undefined {
  if (!(bytes instanceof Uint8Array) && !isUint8Array(bytes)) {
    return new InvalidWriteError(`bytes must be a Uint8Array or Buffer, not ${describeValue(bytes)}`);
  }
  if (fds !== undefined && !Array.isArray(fds)) return notAnFdArray(fds);
  return undefined;
}
