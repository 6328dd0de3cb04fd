import { openSync, readFileSync, constants as fsConstants } from 'node:fs';
import { Fd, fdNumber } from './fd.js';
import type { FdLike } from './fd.js';
import { SystemError, TransportClosedError, TransportStateError } from './system-error.js';
import { writeArgumentError, type PeerCredentials, type Transport, type TransportHandlers, type WriteOptions } from './transport.js';

/** Options of {@link memoryTransportPair}; they apply to both directions. */
export interface MemoryTransportOptions {
  /**
   * Cuts reads. Called with the largest number of bytes the next read may legally return; returns how
   * many it does return (clamped to 1…`available`). Use it for random or adversarial splits.
   */
  readonly splitter?: (available: number, readIndex: number) => number;
  /** Each read returns at most this many bytes (e.g. 1 for byte-at-a-time delivery). */
  readonly chunkSize?: number;
  /** Largest read, like a receive buffer. Default 64 KiB. */
  readonly readSize?: number;
  /**
   * Let one read return the bytes of several sends, as Linux does: bytes of earlier fd-less sends are
   * glued in front, and a read stops after the send whose fds it returns. Default true. When false,
   * a read never spans two sends.
   */
  readonly coalesce?: boolean;
  /** Most fds one simulated sendmsg carries (Linux SCM_MAX_FD). Default 253. */
  readonly maxFdsPerSend?: number;
  /** Bytes a receiving side holds unread before the sender's writes stay queued. Default 256 KiB. */
  readonly bufferSize?: number;
  /**
   * Makes the receiver's copy of a sent descriptor; returns a new descriptor number that the receiver
   * will own. Default: reopen the file through /proc. Pass a real `dup` (e.g. from the native addon)
   * to send sockets or to share file offsets.
   */
  readonly duplicate?: (fd: number) => number;
  /** What {@link MemoryTransport.peerCredentials} returns. Default `null`. */
  readonly credentials?: PeerCredentials | null;
}

/** Counters of one side, for tests that check batching. */
export interface MemoryTransportStats {
  /** Simulated sendmsg calls made by this side (continuation batches count one each). */
  readonly sends: number;
  /** `data` events delivered to this side's handlers. */
  readonly reads: number;
}

/**
 * The receiver's copy of descriptor `fd` without the native addon: opens `/proc/self/fd/N` with the
 * same access mode. The copy is a new open file description (its own file offset), not a `dup`, and
 * sockets cannot be reopened this way (ENXIO). Good enough for files, `/dev/null`, and named pipes.
 */
export function reopenDescriptor(fd: number): number {
  let flags: number;
  try {
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
    const m = /^flags:\s*([0-7]+)$/m.exec(info);
    flags = m?.[1] !== undefined ? parseInt(m[1], 8) : fsConstants.O_RDWR;
  } catch {
    throw new SystemError('sendmsg', 'EBADF', 9, `fd ${fd} is not open`);
  }
  const keep = (flags & 3) | (flags & fsConstants.O_APPEND) | (flags & fsConstants.O_NONBLOCK);
  try {
    return openSync(`/proc/self/fd/${fd}`, keep);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const errno = -((err as NodeJS.ErrnoException).errno ?? -5);
    throw new SystemError('sendmsg', code, errno, `cannot reopen fd ${fd} without the native addon`);
  }
}

/** One simulated sendmsg waiting in a receive queue; `fds` ride its first byte. */
interface Segment {
  bytes: Buffer;
  fds: Fd[] | null;
  /** Injected read: delivered exactly as given, never glued or cut. */
  exact: boolean;
}

/** A write not yet fully handed to the peer. */
interface PendingWrite {
  /** Planned sendmsg calls: the bytes with the first fd batch, then filler bytes with the rest. */
  sends: { bytes: Buffer; fds: readonly number[] }[];
  /**
   * Receiver copies of each send's fds, made when the write reaches the head of the queue; `copies[0]`
   * belongs to the peer once the first byte moved.
   */
  copies: Fd[][] | null;
  /** Bytes of `sends[0]` already moved. */
  moved: number;
  resolve(): void;
  reject(err: Error): void;
}

const BUDGET_PER_TURN = 256;

class Pair {
  #scheduled = false;
  sides: MemoryTransport[] = [];

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      let budget = BUDGET_PER_TURN;
      let progress = true;
      while (progress && budget > 0) {
        progress = false;
        for (const side of this.sides) {
          if (side.flush()) progress = true;
          const n = side.deliver(budget);
          if (n > 0) progress = true;
          budget -= n;
        }
      }
      if (budget <= 0) this.schedule();
    });
  }
}

/**
 * One end of an in-memory stream that behaves like a connected SOCK_STREAM Unix socket: ordered bytes,
 * fds riding the first byte of each send, reads cut and glued the ways the kernel may cut and glue them,
 * backpressure, half-close and EOF. Made by {@link memoryTransportPair}.
 *
 * Ownership: a sent fd stays the caller's. When the write's first byte is handed over, the transport
 * makes the receiver's copy with `options.duplicate` (default: a reopen through /proc); the copy is
 * owned by the receive queue until delivered, then by the `data` handler. Copies still queued when a
 * side is destroyed are closed.
 */
export class MemoryTransport implements Transport {
  readonly #pair: Pair;
  readonly #options: MemoryTransportOptions;
  #peer!: MemoryTransport;
  #handlers: TransportHandlers | null = null;

  readonly #rx: Segment[] = [];
  #rxBytes = 0;
  /** The peer shut down writing: EOF follows once `#rx` is drained. */
  #rxEof = false;
  #eofDelivered = false;

  readonly #tx: PendingWrite[] = [];
  #txBytes = 0;
  #needDrain = false;
  /** Our writing side is shut down (end() finished or destroyed). */
  #txShut = false;
  #ending: { resolve(): void; reject(err: Error): void }[] = [];

  #paused = false;
  #boundary: number | null = null;
  #destroyed = false;
  #closeEmitted = false;
  #sends = 0;
  #reads = 0;

  /** @internal use {@link memoryTransportPair}. */
  constructor(pair: Pair, options: MemoryTransportOptions) {
    this.#pair = pair;
    this.#options = options;
  }

  /** @internal */
  link(peer: MemoryTransport): void {
    this.#peer = peer;
  }

  /** This side's send and read counters so far (a snapshot). */
  get stats(): MemoryTransportStats {
    return { sends: this.#sends, reads: this.#reads };
  }

  get writableLength(): number {
    return this.#txBytes;
  }

  get closed(): boolean {
    return this.#destroyed;
  }

  start(handlers: TransportHandlers): void {
    if (this.#handlers !== null) throw new TransportStateError('transport already started');
    this.#handlers = handlers;
    this.#pair.schedule();
  }

  write(bytes: Uint8Array, fds: readonly FdLike[] = [], options: WriteOptions = {}): Promise<void> {
    if (this.#destroyed) return Promise.reject(new TransportClosedError());
    if (this.#txShut || this.#ending.length > 0) {
      return Promise.reject(new SystemError('sendmsg', 'EPIPE', 32, 'writing side was shut down'));
    }
    const badArgument = writeArgumentError(bytes, fds);
    if (badArgument !== undefined) return Promise.reject(badArgument);
    let numbers: number[];
    try {
      // Every fd is checked before anything is queued: one bad entry fails the whole write, unsent.
      numbers = Array.from(fds, (fd) => fdNumber(fd));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (numbers.length > 0 && bytes.length === 0) {
      return Promise.reject(new SystemError('sendmsg', 'EINVAL', 22, 'fds need at least one byte to ride on'));
    }
    const perSend = this.#options.maxFdsPerSend ?? 253;
    if (numbers.length > perSend && options.filler === undefined) {
      return Promise.reject(new SystemError('sendmsg', 'EINVAL', 22, `more than ${perSend} fds need a filler byte`));
    }
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sends: PendingWrite['sends'] = [{ bytes: buf, fds: numbers.slice(0, perSend) }];
    for (let i = perSend; i < numbers.length; i += perSend) {
      sends.push({ bytes: Buffer.from([options.filler!]), fds: numbers.slice(i, i + perSend) });
    }
    if (buf.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#tx.push({ sends, copies: null, moved: 0, resolve, reject });
      for (const s of sends) this.#txBytes += s.bytes.length;
      this.#pair.schedule();
    });
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#pair.schedule();
  }

  setReadBoundary(byte: number | null): void {
    this.#boundary = byte;
  }

  end(): Promise<void> {
    if (this.#destroyed) return Promise.reject(new TransportClosedError());
    if (this.#txShut) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#ending.push({ resolve, reject });
      this.#pair.schedule();
    });
  }

  async close(): Promise<void> {
    if (!this.#destroyed) {
      try {
        await this.end();
      } catch {
        /* destroyed meanwhile: nothing left to flush */
      }
      this.destroy();
    }
  }

  destroy(err?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#txShut = true;
    const reason = err ?? new TransportClosedError();
    for (const w of this.#tx.splice(0)) {
      // The first batch went to the peer with the first byte: it is the peer's to close.
      if (w.copies !== null) for (let i = w.moved > 0 ? 1 : 0; i < w.copies.length; i++) Fd.closeAll(w.copies[i]!);
      w.reject(reason);
    }
    this.#txBytes = 0;
    for (const e of this.#ending.splice(0)) e.reject(reason);
    for (const seg of this.#rx.splice(0)) if (seg.fds !== null) Fd.closeAll(seg.fds);
    this.#rxBytes = 0;
    // The peer reads what was already handed over, then EOF.
    this.#peer.#rxEof = true;
    setImmediate(() => {
      if (this.#closeEmitted) return;
      this.#closeEmitted = true;
      this.#handlers?.close();
    });
    this.#pair.schedule();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  peerCredentials(): PeerCredentials | null {
    return this.#options.credentials ?? null;
  }

  /**
   * Test hook: makes this side receive exactly one read of `bytes` with `fds` (owned Fd objects, taken
   * over, or a count of fresh `/dev/null` descriptors), after anything already queued. It is never
   * glued to or cut from other reads, and may carry fds with no bytes, which a real socket never does.
   */
  injectRead(bytes: Uint8Array | string, fds: Fd[] | number = 0): void {
    const list = typeof fds === 'number' ? Array.from({ length: fds }, () => new Fd(openSync('/dev/null', 'r'))) : fds;
    if (this.#destroyed) {
      Fd.closeAll(list);
      return;
    }
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
    this.#rx.push({ bytes: buf, fds: list.length > 0 ? list : null, exact: true });
    this.#rxBytes += buf.length;
    this.#pair.schedule();
  }

  /** Test hook: this side sees EOF after the reads already queued, as if the peer shut down writing. */
  injectEnd(): void {
    this.#rxEof = true;
    this.#pair.schedule();
  }

  /** Fds waiting in this side's receive queue (not yet delivered). */
  get queuedFds(): number {
    let n = 0;
    for (const seg of this.#rx) n += seg.fds?.length ?? 0;
    return n;
  }

  /** @internal Moves queued writes into the peer's receive queue while it has room. */
  flush(): boolean {
    let progress = false;
    const peer = this.#peer;
    const cap = this.#options.bufferSize ?? 256 * 1024;
    while (this.#tx.length > 0 && !this.#destroyed) {
      if (peer.#destroyed) {
        const err = new SystemError('sendmsg', 'EPIPE', 32, 'peer closed');
        this.#handlers?.error(err);
        this.destroy(err);
        return true;
      }
      const w = this.#tx[0]!;
      if (w.copies === null) {
        try {
          w.copies = this.#copyAll(w.sends);
        } catch (err) {
          this.#tx.shift();
          for (const s of w.sends) this.#txBytes -= s.bytes.length;
          w.reject(err as Error);
          progress = true;
          continue;
        }
      }
      const room = cap - peer.#rxBytes;
      if (room <= 0) break;
      const first = w.sends[0]!;
      const n = Math.min(room, first.bytes.length - w.moved);
      const fds = w.moved === 0 ? w.copies[0]! : [];
      peer.#enqueue(first.bytes.subarray(w.moved, w.moved + n), fds);
      w.moved += n;
      this.#txBytes -= n;
      progress = true;
      if (w.moved < first.bytes.length) continue;
      // Continuation sends: one filler byte each with the next fd batch.
      for (let i = 1; i < w.sends.length; i++) {
        peer.#enqueue(w.sends[i]!.bytes, w.copies[i]!);
        this.#txBytes -= w.sends[i]!.bytes.length;
      }
      this.#tx.shift();
      w.resolve();
    }
    if (this.#tx.length === 0 && !this.#destroyed) {
      if (this.#needDrain) {
        this.#needDrain = false;
        this.#handlers?.drain?.();
      }
      if (this.#ending.length > 0) {
        this.#txShut = true;
        peer.#rxEof = true;
        for (const e of this.#ending.splice(0)) e.resolve();
        progress = true;
      }
    } else if (this.#tx.length > 0) {
      this.#needDrain = true;
    }
    return progress;
  }

  /** @internal Delivers up to `budget` reads; returns how many. */
  deliver(budget: number): number {
    let count = 0;
    while (count < budget && this.#handlers !== null && !this.#paused && !this.#destroyed) {
      const seg = this.#rx[0];
      if (seg === undefined) {
        if (this.#rxEof && !this.#eofDelivered) {
          this.#eofDelivered = true;
          this.#handlers.end();
          count++;
        }
        break;
      }
      const read = seg.exact ? this.#takeExact() : this.#takeRead();
      this.#reads++;
      count++;
      this.#handlers.data(read.bytes, read.fds);
    }
    if (count > 0) this.#peer.#pair.schedule();
    return count;
  }

  /** The receiver's copies of every send's fds; when one cannot be made, closes those made and throws. */
  #copyAll(sends: PendingWrite['sends']): Fd[][] {
    const dup = this.#options.duplicate ?? reopenDescriptor;
    const out: Fd[][] = [];
    try {
      for (const s of sends) {
        const batch: Fd[] = [];
        out.push(batch);
        for (const n of s.fds) batch.push(new Fd(dup(n)));
      }
    } catch (err) {
      for (const batch of out) Fd.closeAll(batch);
      throw err;
    }
    return out;
  }

  #enqueue(bytes: Buffer, fds: Fd[]): void {
    this.#peer.#sends++; // `this` is the receiving side: count the send on the sender
    this.#rx.push({ bytes, fds: fds.length > 0 ? fds : null, exact: false });
    this.#rxBytes += bytes.length;
  }

  #takeExact(): { bytes: Buffer; fds: Fd[] } {
    const seg = this.#rx.shift()!;
    this.#rxBytes -= seg.bytes.length;
    return { bytes: seg.bytes, fds: seg.fds ?? [] };
  }

  /** Takes the next read the kernel could return: glue fd-less sends, stop after one with fds. */
  #takeRead(): { bytes: Buffer; fds: Fd[] } {
    const coalesce = this.#options.coalesce ?? true;
    let available = 0;
    for (const seg of this.#rx) {
      if (seg.exact) break;
      if (this.#boundary !== null) {
        const at = seg.bytes.indexOf(this.#boundary);
        if (at >= 0) {
          available += at + 1;
          break;
        }
      }
      available += seg.bytes.length;
      if (seg.fds !== null || !coalesce) break;
    }
    let n = Math.min(available, this.#options.readSize ?? 64 * 1024, this.#options.chunkSize ?? Infinity);
    const splitter = this.#options.splitter;
    if (splitter !== undefined) n = Math.max(1, Math.min(n, Math.floor(splitter(n, this.#reads))));
    const parts: Buffer[] = [];
    let fds: Fd[] = [];
    let left = n;
    while (left > 0) {
      const seg = this.#rx[0]!;
      if (seg.fds !== null) {
        fds = seg.fds;
        seg.fds = null;
      }
      if (seg.bytes.length <= left) {
        parts.push(seg.bytes);
        left -= seg.bytes.length;
        this.#rx.shift();
      } else {
        parts.push(seg.bytes.subarray(0, left));
        seg.bytes = seg.bytes.subarray(left);
        left = 0;
      }
    }
    this.#rxBytes -= n;
    return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, n), fds };
  }
}

/**
 * A connected pair of in-memory transports for tests, behaving like the two ends of a Unix
 * SOCK_STREAM socketpair (see {@link MemoryTransportOptions} for how reads are cut and fds copied).
 */
export function memoryTransportPair(options: MemoryTransportOptions = {}): [MemoryTransport, MemoryTransport] {
  const pair = new Pair();
  const a = new MemoryTransport(pair, options);
  const b = new MemoryTransport(pair, options);
  a.link(b);
  b.link(a);
  pair.sides.push(a, b);
  return [a, b];
}
