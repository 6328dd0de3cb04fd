import { setTimeout as sleep } from 'node:timers/promises';
import { getSystemErrorName } from 'node:util';
import { Fd, FdClosedError, fdNumber, type FdLike } from './fd.js';
import {
  nativeAddon,
  POLL_CLOSED,
  POLL_READABLE,
  POLL_WRITABLE,
  type NativeAddon,
  type NativePoller,
} from './native.js';
import { ArgumentRangeError, InvalidWriteError, SystemError, TransportClosedError, TransportStateError } from './system-error.js';
import { WRITTEN, writeArgumentError, type PeerCredentials, type Transport, type TransportHandlers, type WriteOptions } from './transport.js';

/** Options of a {@link UnixSocket}. */
export interface UnixSocketOptions {
  /**
   * Most fds per sendmsg to start with (Linux allows 253). It is halved whenever the kernel answers
   * EINVAL to a sendmsg carrying more than one fd, and stays lowered for later writes.
   */
  readonly maxFdsPerSend?: number;
  /** Bytes per receive call (64 KiB by default). */
  readonly readChunkSize?: number;
}

/** Options of {@link connect}. */
export interface ConnectOptions extends UnixSocketOptions {
  readonly signal?: AbortSignal;
}

// Defined with the other transport errors (the in-memory transport throws it too); exported here as before.
export { InvalidWriteError };

/** Code of the error reported when the kernel truncated received fds (MSG_CTRUNC). */
export const FDS_TRUNCATED = 'EMSGCTRUNC';

/**
 * A queued write. Its promise is made only when `write` returns with the write still queued: most
 * writes complete inside `write`, and then no promise, executor or resolver closures are allocated.
 */
interface PendingWrite {
  readonly bytes: Uint8Array;
  offset: number;
  fds: Int32Array | null;
  /** Index of the next fd to send. */
  fdIndex: number;
  readonly filler: number | undefined;
  /**
   * The caller's fd list, kept to see at send time whether a borrowed `Fd` was closed meanwhile: its
   * number (in `fds`) may by then name another file, which must not be sent in its place.
   */
  readonly source: readonly FdLike[] | null;
  resolve: (() => void) | null;
  reject: ((err: Error) => void) | null;
  /** Settled before anyone asked for the promise: true when sent, or the error. */
  outcome: true | Error | null;
}

const DEFAULT_CHUNK = 64 * 1024;
/** Writes without fds queued behind each other are copied into one sendmsg up to this many bytes. */
const GATHER_MAX = 64 * 1024;
/** A burst is sent once this many writes or bytes are queued, without waiting for its end. */
const BURST_WRITES = 16;
const BURST_BYTES = 16 * 1024;
/** Receive calls per readiness wake-up before yielding to the loop, so one busy peer cannot starve others. */
const READS_PER_WAKEUP = 16;

/**
 * A connected `AF_UNIX` `SOCK_STREAM` socket that carries file descriptors (SCM_RIGHTS), driven by a
 * native `uv_poll` watcher. Implements {@link Transport}; see there for the event and write contract.
 *
 * Create one with {@link connect}, {@link socketPair}, {@link UnixSocket.fromFd}, or accept one from a
 * listener. While reading is active (after `start`, unless paused) or a write waits for the kernel, the
 * socket keeps the process alive; {@link unref} lifts that.
 */
export class UnixSocket implements Transport {
  readonly #native: NativeAddon;
  readonly #fd: number;
  readonly #poller: NativePoller;
  #handlers: TransportHandlers | undefined;
  #events = 0;
  #paused = false;
  #boundary: number | null = null;
  #maxFds: number;
  readonly #chunkSize: number;
  readonly #scratch: Buffer;
  readonly #fdOut: Int32Array;

  readonly #queue: PendingWrite[] = [];
  #writableLength = 0;
  #waitingWritable = false;
  #needDrain = false;
  readonly #flushWaiters: (() => void)[] = [];
  /**
   * A write went straight to the kernel in this microtask burst: later writes queue until the burst
   * ends (one microtask later) and leave together in one sendmsg. The first write of a burst keeps its
   * latency; pipelined writes (responses to a read of many calls, requests issued in one tick) share
   * a syscall.
   */
  #burst = false;
  readonly #endBurst = (): void => {
    this.#burst = false;
    if (this.#queue.length > 0 && !this.#waitingWritable && !this.#destroyed) this.#flush();
  };

  #readEnded = false;
  /** Inside a receive loop (a data handler may write, and a failing write must not read re-entrantly). */
  #reading = false;
  #writeEnded = false;
  #ending: Promise<void> | undefined;
  #reported = false; // `end` or `error` already went out
  #destroyed = false;
  #fdClosed = false;
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;
  #credentials: PeerCredentials | undefined;

  /** @internal Use {@link connect}, {@link socketPair} or {@link UnixSocket.fromFd}. Takes ownership of `fd`. */
  constructor(fd: number, options: UnixSocketOptions = {}) {
    this.#native = nativeAddon();
    this.#fd = fd;
    const max = options.maxFdsPerSend ?? this.#native.MAX_FDS;
    if (!Number.isInteger(max) || max < 1) throw new ArgumentRangeError(`maxFdsPerSend must be a positive integer, not ${String(max)}`);
    this.#maxFds = max;
    this.#chunkSize = options.readChunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(this.#chunkSize) || this.#chunkSize < 1) throw new ArgumentRangeError(`readChunkSize must be an integer ≥ 1, not ${String(this.#chunkSize)}`);
    this.#scratch = scratchBuffer(this.#chunkSize);
    this.#fdOut = fdOut ??= new Int32Array(2 + this.#native.MAX_FDS);
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#poller = this.#native.pollCreate(fd, (events) => this.#onPoll(events));
  }

  /**
   * Adopts an already connected socket fd (e.g. from socket activation). A number is owned by the
   * caller until this returns; an {@link Fd} is taken only on success.
   */
  static fromFd(fd: number | Fd, options?: UnixSocketOptions): UnixSocket {
    // fdNumber refuses what the addon would truncate or coerce (1.5 adopting fd 1, '3', null).
    const n = fdNumber(fd);
    if (nativeAddon().isListening(n)) {
      throw new SystemError('fromFd', 'EINVAL', 22, `fd ${n} is a listening socket, not a connection (use listen({ fd }))`);
    }
    const sock = new UnixSocket(n, options);
    if (fd instanceof Fd) fd.take();
    return sock;
  }

  /** The socket's fd (owned by this object; do not close it). -1 once closed. */
  get fd(): number {
    return this.#fdClosed ? -1 : this.#fd;
  }

  /** Current most fds per sendmsg (lowered after EINVAL). */
  get maxFdsPerSend(): number {
    return this.#maxFds;
  }

  get writableLength(): number {
    return this.#writableLength;
  }

  get closed(): boolean {
    return this.#destroyed;
  }

  /** Resolves once the fd is closed and `close` was reported. */
  get whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  start(handlers: TransportHandlers): void {
    if (this.#handlers) throw new TransportStateError('transport already started');
    this.#handlers = handlers;
    if (this.#destroyed) {
      // Closed before anyone listened: the only event left to report is `close`.
      if (this.#fdClosed) queueMicrotask(() => handlers.close());
      return;
    }
    this.#updatePoll();
  }

  pause(): void {
    this.#paused = true;
    this.#updatePoll();
  }

  resume(): void {
    this.#paused = false;
    this.#updatePoll();
  }

  /**
   * Every receive then costs a peek (without a control buffer, so no fds are installed), a scan for
   * `byte` and a second recvmsg of exactly that length: two syscalls per receive instead of one.
   */
  setReadBoundary(byte: number | null): void {
    if (byte !== null && (!Number.isInteger(byte) || byte < 0 || byte > 255)) {
      throw new ArgumentRangeError(`read boundary must be a byte value (0…255) or null, not ${String(byte)}`);
    }
    this.#boundary = byte;
  }

  /** Keeps the process alive while this socket waits for I/O (the default). */
  ref(): this {
    if (!this.#destroyed) this.#native.pollRef(this.#poller, true);
    return this;
  }

  /** Lets the process exit even though this socket is open. */
  unref(): this {
    if (!this.#destroyed) this.#native.pollRef(this.#poller, false);
    return this;
  }

  peerCredentials(): PeerCredentials | null {
    if (this.#credentials) return this.#credentials;
    if (this.#destroyed) return null;
    this.#credentials = Object.freeze(this.#native.peerCred(this.#fd));
    return this.#credentials;
  }

  write(bytes: Uint8Array, fds?: readonly FdLike[], options?: WriteOptions): Promise<void> {
    if (this.#destroyed) return Promise.reject(new TransportClosedError());
    if (this.#ending) return Promise.reject(new TransportClosedError('write after end()'));
    const badArgument = writeArgumentError(bytes, fds);
    if (badArgument !== undefined) return Promise.reject(badArgument);
    const nfds = fds?.length ?? 0;
    const filler = options?.filler;
    if (nfds > 0 && bytes.length === 0) {
      return Promise.reject(new InvalidWriteError('cannot send fds with 0 bytes: a 0-byte sendmsg delivers no fds'));
    }
    if (filler !== undefined && (!Number.isInteger(filler) || filler < 0 || filler > 255)) {
      return Promise.reject(new ArgumentRangeError(`filler must be a byte value (0…255), not ${String(filler)}`));
    }
    if (nfds > this.#maxFds && filler === undefined) {
      return Promise.reject(this.#tooManyFds(nfds));
    }
    const direct = this.#queue.length === 0 && !this.#burst;
    let fdArray: Int32Array | null = null;
    if (fds && nfds > 0) {
      // A write that goes out at once borrows a view of a shared array for its fd numbers: an array of
      // its own this small would live on the V8 heap, and the addon reading it would copy it out (a
      // malloc) on every send. It gets its own copy if it has to wait.
      fdArray = direct && nfds <= SHARED_FDS ? (sharedFds ??= new Int32Array(SHARED_FDS)).subarray(0, nfds) : new Int32Array(nfds);
      // fdNumber rejects what the Int32Array would coerce ('abc' and true to 0, 1.5 and 2**32+1 to 1):
      // all are checked before the write is queued, so a bad one fails the write and sends nothing.
      try {
        for (let i = 0; i < nfds; i++) fdArray[i] = fdNumber(fds[i] as FdLike);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    const w: PendingWrite = { bytes, offset: 0, fds: fdArray, fdIndex: 0, filler, source: fdArray === null ? null : fds!, resolve: null, reject: null, outcome: null };
    this.#queue.push(w);
    this.#writableLength += bytes.length;
    if (direct) {
      // Fast path: send right away; writes that follow in this burst are gathered.
      this.#burst = true;
      // A reaction on a settled promise: node's queueMicrotask creates an AsyncResource per call.
      void WRITTEN.then(this.#endBurst);
      this.#flush();
      if (fdArray !== null && w.outcome === null && w.fds === fdArray) w.fds = fdArray.slice();
    } else if (this.#waitingWritable) {
      this.#needDrain = true;
    } else if (this.#queue.length >= BURST_WRITES || this.#writableLength >= BURST_BYTES) {
      // Send a long burst in slices: a peer in another process starts on the first ones meanwhile
      // (holding all 64 answers of a pipelined read back until the last was computed cost a third of
      // the two-process throughput).
      this.#flush();
    }
    const outcome = w.outcome;
    if (outcome === true) return WRITTEN;
    if (outcome !== null) return Promise.reject(outcome);
    return new Promise<void>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
  }

  end(): Promise<void> {
    if (this.#ending) return this.#ending;
    this.#ending = (async () => {
      await this.#flushed();
      if (this.#destroyed) return;
      try {
        this.#native.shutdownWrite(this.#fd);
      } catch (err) {
        // ENOTCONN: the peer is gone already; closing is all that is left.
        this.destroy(err as Error);
        return;
      }
      this.#writeEnded = true;
      if (this.#readEnded) this.destroy();
    })();
    return this.#ending;
  }

  destroy(err?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const reason = err ?? new TransportClosedError();
    const pending = this.#queue.splice(0);
    this.#writableLength = 0;
    for (const w of pending) settle(w, reason);
    this.#notifyFlushed();
    if (err && !this.#reported && this.#handlers) {
      this.#reported = true;
      this.#handlers.error(err);
    }
    this.#native.pollClose(this.#poller);
  }

  async close(): Promise<void> {
    if (!this.#destroyed) {
      await this.#flushed();
      this.destroy();
    }
    return this.#closedPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ----

  #tooManyFds(n: number): InvalidWriteError {
    return new InvalidWriteError(
      `${n} fds exceed one sendmsg (max ${this.#maxFds}) and no filler byte was given for continuation sends`,
    );
  }

  /** Resolves once the queue is empty (or the socket is destroyed). */
  #flushed(): Promise<void> {
    if (this.#queue.length === 0 || this.#destroyed) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #notifyFlushed(): void {
    if (this.#flushWaiters.length === 0) return;
    const waiters = this.#flushWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  #updatePoll(): void {
    if (this.#destroyed) return;
    const read = this.#handlers && !this.#paused && !this.#readEnded ? POLL_READABLE : 0;
    const events = read | (this.#waitingWritable ? POLL_WRITABLE : 0);
    if (events === this.#events) return;
    this.#events = events;
    this.#native.pollSet(this.#poller, events);
  }

  #onPoll(events: number): void {
    if (events === POLL_CLOSED) {
      this.#fdClosed = true;
      this.#destroyed = true;
      this.#handlers?.close();
      this.#resolveClosed();
      return;
    }
    if (this.#destroyed) return;
    if (events < 0) {
      this.#onPollError(events);
      return;
    }
    // Read before writing: a write to a peer that went away destroys the socket, and what the peer
    // sent before it went (often its last word, e.g. a fatal error response) would be lost.
    if (events & POLL_READABLE) this.#read();
    if (events & POLL_WRITABLE && !this.#destroyed) this.#flush();
  }

  /**
   * libuv reports EPOLLERR as EBADF and stops the watcher. The real cause (ECONNRESET, EPIPE) comes
   * from reading (which first hands over the bytes still queued), or from retrying a pending write, or
   * else from SO_ERROR. Reading goes first so that a failing write cannot discard what was queued.
   */
  #onPollError(status: number): void {
    this.#events = 0; // libuv stopped the watcher
    this.#read();
    if (!this.#destroyed && this.#queue.length > 0) this.#flush();
    if (this.#destroyed) return;
    let err: SystemError;
    try {
      const errno = this.#native.socketError(this.#fd);
      err = errno
        ? new SystemError('recvmsg', getSystemErrorName(-errno), errno)
        : new SystemError('poll', getSystemErrorName(status), -status);
    } catch (e) {
      err = e as SystemError;
    }
    this.destroy(err);
  }

  #read(): void {
    const handlers = this.#handlers;
    if (this.#reading || !handlers) return;
    this.#reading = true;
    try {
      this.#readSome(handlers);
    } finally {
      this.#reading = false;
    }
  }

  #readSome(handlers: TransportHandlers): void {
    const native = this.#native;
    const out = this.#fdOut;
    const scratch = this.#scratch;
    for (let i = 0; i < READS_PER_WAKEUP; i++) {
      if (this.#destroyed || this.#paused || this.#readEnded) return;
      let want = this.#chunkSize;
      let mayHaveMore = true;
      let n: number;
      try {
        if (this.#boundary !== null) {
          const peeked = native.recv(this.#fd, scratch, 0, want, true, out);
          if (peeked < 0) return;
          if (peeked > 0) {
            const at = scratch.subarray(0, peeked).indexOf(this.#boundary);
            want = at >= 0 ? at + 1 : peeked;
            mayHaveMore = peeked === this.#chunkSize || want < peeked;
          }
        }
        if (readPool.length - readPoolUsed < want) newReadPool(this.#chunkSize);
        n = native.recv(this.#fd, readPool, readPoolUsed, want, false, out);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (n < 0) return;
      const nfds = out[0] as number;
      const fds: Fd[] = [];
      for (let k = 0; k < nfds; k++) fds.push(new Fd(out[2 + k] as number));
      if (out[1] !== 0) {
        Fd.closeAll(fds);
        this.destroy(
          new SystemError(
            'recvmsg',
            FDS_TRUNCATED,
            0,
            'control data truncated: received fds were lost (RLIMIT_NOFILE reached?); the stream is unusable',
          ),
        );
        return;
      }
      if (n === 0) {
        Fd.closeAll(fds);
        this.#onEof();
        return;
      }
      // A view of the pool (no copy); the pool moves on, so these bytes are never written again.
      const bytes = readPool.subarray(readPoolUsed, readPoolUsed + n);
      readPoolUsed += n;
      handlers.data(bytes, fds);
      // A short read means the socket is (very likely) empty: skip the syscall that would say EAGAIN.
      // (Level-triggered polling reports anything that arrived meanwhile.)
      if (this.#boundary === null ? n < want : !mayHaveMore && n === want) return;
    }
  }

  #onEof(): void {
    this.#readEnded = true;
    this.#updatePoll();
    if (!this.#reported) {
      this.#reported = true;
      this.#handlers?.end();
    }
    if (this.#writeEnded) this.destroy();
  }

  #flush(): void {
    const native = this.#native;
    while (!this.#destroyed) {
      const w = this.#queue[0];
      if (!w) break;
      const fds = w.fds;
      let k = 0; // fds carried by this sendmsg
      let n: number;
      try {
        if (w.offset < w.bytes.length) {
          // fds ride only the first sendmsg of the bytes; after any partial write they are all delivered.
          if (fds && w.offset === 0 && w.fdIndex === 0) {
            if (closedFdIn(w.source, 0, fds.length)) {
              // Closed (or taken) after write() checked it: refuse the write, nothing of it went out.
              this.#refuseHead(new FdClosedError('an fd of this write was closed or taken before it was sent'));
              continue;
            }
            if (fds.length > this.#maxFds && w.filler === undefined) {
              // EINVAL lowered the maximum after write() accepted this; nothing of it went out yet.
              this.#refuseHead(this.#tooManyFds(fds.length));
              continue;
            }
            k = Math.min(this.#maxFds, fds.length);
          }
          const gathered = k === 0 && this.#queue.length > 1 ? this.#gather() : 0;
          if (gathered > 0) {
            n = native.send(this.#fd, gatherBuffer!, 0, gathered, null, 0, 0);
            if (n > 0) this.#consumeGathered(n);
          } else {
            n = native.send(this.#fd, w.bytes, w.offset, w.bytes.length - w.offset, fds, 0, k);
            if (n > 0) {
              w.offset += n;
              w.fdIndex += k;
              this.#writableLength -= n;
            }
          }
        } else if (fds && w.fdIndex < fds.length) {
          // Continuation: one filler byte carrying the next batch, before any byte of a later write.
          // (A write without filler never gets here: it was refused before its first byte went out.)
          k = Math.min(this.#maxFds, fds.length - w.fdIndex);
          if (closedFdIn(w.source, w.fdIndex, w.fdIndex + k)) {
            // Half the message is out: it cannot be completed, and a reused number must not go.
            this.destroy(new FdClosedError('an fd of a write was closed or taken before its batch was sent'));
            return;
          }
          n = native.send(this.#fd, fillerByte(w.filler ?? 0x20), 0, 1, fds, w.fdIndex, k);
          if (n > 0) w.fdIndex += k;
        } else {
          this.#queue.shift();
          settle(w, true);
          continue;
        }
      } catch (err) {
        const code = (err as SystemError).code;
        // EINVAL sends nothing; with several fds it means "too many per sendmsg": halve, keep, retry.
        if (code === 'EINVAL' && k > 1) {
          this.#maxFds = k >> 1;
          continue;
        }
        // EBADF here means one of the caller's fds is not open (our socket fd is); ETOOMANYREFS that
        // more fds than RLIMIT_NOFILE, sent by this user on any socket, wait unread (a peer that does
        // not read can cause it for every connection). Neither sent anything: when nothing of the
        // write went out yet, only that write fails; later the stream would be inconsistent.
        if ((code === 'EBADF' || code === 'ETOOMANYREFS') && k > 0 && w.offset === 0 && w.fdIndex === 0) {
          this.#refuseHead(err as Error);
          continue;
        }
        // The peer is gone: hand over what it sent before going, which destroy would discard.
        if (code === 'EPIPE' || code === 'ECONNRESET') this.#read();
        if (this.#destroyed) return;
        this.destroy(err as Error);
        return;
      }
      if (n < 0) {
        this.#setWaitingWritable(true);
        return;
      }
    }
    if (this.#waitingWritable) this.#setWaitingWritable(false);
    if (this.#queue.length === 0 && !this.#destroyed) {
      this.#notifyFlushed();
      if (this.#needDrain) {
        this.#needDrain = false;
        this.#handlers?.drain?.();
      }
    }
  }

  /** Fails the head write, of which nothing went out yet, and drops it from the queue. */
  #refuseHead(err: Error): void {
    const w = this.#queue.shift()!;
    this.#writableLength -= w.bytes.length;
    settle(w, err);
  }

  /**
   * Copies the head write's remaining bytes and the fd-less writes after it into the gather buffer;
   * returns the byte count, or 0 when fewer than two writes fit (the head then goes out on its own,
   * uncopied). The head has no fds left to send (its bytes' first sendmsg carried them, and
   * continuation batches come after its bytes), and a later write with fds is never included: its
   * fds must ride its own first byte, in a sendmsg that carries no other write's bytes.
   */
  #gather(): number {
    const queue = this.#queue;
    const head = queue[0]!;
    if (head.fds !== null && head.fdIndex < head.fds.length) return 0;
    const first = head.bytes.length - head.offset;
    const second = queue[1]!;
    if (second.fds !== null || first + second.bytes.length > GATHER_MAX) return 0;
    const buf = (gatherBuffer ??= Buffer.allocUnsafe(GATHER_MAX));
    buf.set(head.offset === 0 ? head.bytes : head.bytes.subarray(head.offset), 0);
    let total = first;
    for (let i = 1; i < queue.length; i++) {
      const w = queue[i]!;
      if (w.fds !== null || total + w.bytes.length > GATHER_MAX) break;
      buf.set(w.bytes, total);
      total += w.bytes.length;
    }
    return total;
  }

  /** Advances the queued writes by `n` bytes sent from the gather buffer (the loop settles them). */
  #consumeGathered(n: number): void {
    this.#writableLength -= n;
    for (let i = 0; n > 0; i++) {
      const w = this.#queue[i]!;
      const rest = w.bytes.length - w.offset;
      const used = n < rest ? n : rest;
      w.offset += used;
      n -= used;
    }
  }

  #setWaitingWritable(on: boolean): void {
    this.#waitingWritable = on;
    if (on) this.#needDrain = true;
    this.#updatePoll();
  }
}

// Receive scratch space (for peeking) is shared by all sockets of this thread: a receive is synchronous
// and its bytes are looked at before any other socket can read, so one buffer per chunk size serves
// every connection.
const scratchBuffers = new Map<number, Buffer>();

// Reads land in a pool shared by the thread's sockets and are handed out as views of it (as node's net
// does): a small read costs no allocation of its own and no copy. A new pool starts when less than a
// whole read is left; an old one lives as long as a view of it does.
let readPool: Buffer = Buffer.alloc(0);
let readPoolUsed = 0;
function newReadPool(chunkSize: number): void {
  readPool = Buffer.allocUnsafe(2 * Math.max(chunkSize, DEFAULT_CHUNK));
  readPoolUsed = 0;
}
let fdOut: Int32Array | undefined;
function scratchBuffer(size: number): Buffer {
  let buf = scratchBuffers.get(size);
  if (!buf) scratchBuffers.set(size, (buf = Buffer.allocUnsafe(size)));
  return buf;
}

/** Shared by all sockets of this thread: filled and sent within one synchronous flush. */
let gatherBuffer: Buffer | undefined;
/** Fd numbers of a write sent within `write` (one synchronous flush); off the V8 heap (> 64 bytes). */
const SHARED_FDS = 256;
let sharedFds: Int32Array | undefined;

/** True when an `Fd` among `source[from…to)` is closed or taken (numbers cannot be checked). */
function closedFdIn(source: readonly FdLike[] | null, from: number, to: number): boolean {
  if (source === null) return false;
  for (let i = from; i < to; i++) {
    const fd = source[i];
    if (fd instanceof Fd && fd.closed) return true;
  }
  return false;
}

/** Settles a write: through its promise when one was handed out, else recorded for `write` to return. */
function settle(w: PendingWrite, outcome: true | Error): void {
  if (outcome === true) {
    if (w.resolve !== null) w.resolve();
    else w.outcome = true;
  } else if (w.reject !== null) {
    w.reject(outcome);
  } else {
    w.outcome = outcome;
  }
}

const fillers: Buffer[] = [];
function fillerByte(b: number): Buffer {
  return (fillers[b] ??= Buffer.of(b));
}

/** Connects to a Unix socket at `path` ('@name' for the Linux abstract namespace). */
export async function connect(path: string, options: ConnectOptions = {}): Promise<UnixSocket> {
  const native = nativeAddon();
  const { signal } = options;
  signal?.throwIfAborted();
  const fd = native.socket();
  let delay = 1;
  try {
    for (;;) {
      try {
        native.connect(fd, path);
        break;
      } catch (err) {
        // A full backlog: Linux gives EAGAIN, and poll on an unconnected socket reports nothing useful,
        // so retry on a short, growing timer.
        if ((err as SystemError).code !== 'EAGAIN') throw err;
      }
      try {
        await sleep(delay, undefined, { signal });
      } catch (err) {
        throw signal?.aborted ? (signal.reason as Error) : err;
      }
      delay = Math.min(delay * 2, 100);
    }
    return new UnixSocket(fd, options);
  } catch (err) {
    native.close(fd);
    throw err;
  }
}

/** A connected pair of sockets in this process (socketpair(2)). */
export function socketPair(options?: UnixSocketOptions): [UnixSocket, UnixSocket] {
  const native = nativeAddon();
  const [a, b] = native.socketpair();
  let first: UnixSocket | undefined;
  try {
    first = new UnixSocket(a, options);
  } catch (err) {
    native.close(a);
    native.close(b);
    throw err;
  }
  try {
    return [first, new UnixSocket(b, options)];
  } catch (err) {
    first.destroy();
    native.close(b);
    throw err;
  }
}
