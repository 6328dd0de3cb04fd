import { jsonCodec } from '../codec/json-codec.js';
import { isMessageFramingError, type MessageCodec, type MessageFramer } from '../codec/message-codec.js';
import { Fd, notAnFdArray } from '../transport/fd.js';
import type { FdLike } from '../transport/fd.js';
import { TransportClosedError, TransportStateError } from '../transport/system-error.js';
import type { PeerCredentials, Transport } from '../transport/transport.js';
import { FdPassError } from './fdpass-error.js';
import type { FdPassErrorReason } from './fdpass-error.js';
import { FdQueue } from './fd-queue.js';
import { limitOption } from './limit-option.js';

/** Limits and start-up state of an {@link FdPassChannel}. */
export interface ChannelOptions {
  /** Largest message in bytes; a larger one is fatal (`limit`). Default 64 MiB. */
  maxMessageBytes?: number;
  /** Largest `fds` value accepted; above it is fatal (`invalid-fds`). Default 4096. */
  maxFdsPerMessage?: number;
  /** Most received fds held before messages claim them; more is fatal (`limit`). Default 8192. */
  maxQueuedFds?: number;
  /** Deepest nesting of a message; deeper is fatal (`framing`), never a stack overflow. Default 1000. */
  maxDepth?: number;
  /**
   * Reads already taken from the transport (e.g. by a Varlink upgrade), processed before any new
   * read, in order. The channel owns their fds from construction on.
   */
  pending?: ReadonlyArray<{ bytes: Buffer; fds: Fd[] }>;
  /** How long a fatal error waits for its final error response to be written. Default 1000 ms. */
  fatalErrorTimeoutMs?: number;
  /**
   * How messages are encoded: `'json'` (the default, `spec/jsonrpc-fdpass.md`) or a codec such as
   * `msgpackCodec()` (`spec/msgpack.md`). Both ends must use the same one; the Varlink upgrade
   * negotiates it.
   */
  codec?: 'json' | MessageCodec;
}

/**
 * The numeric limits of `options` with their defaults, checked ({@link limitOption}): throws
 * ArgumentRangeError for one that is not a number in range. Also used to check options up front.
 * @internal
 */
export function channelLimits(options: ChannelOptions): Required<Pick<ChannelOptions, 'maxMessageBytes' | 'maxFdsPerMessage' | 'maxQueuedFds' | 'maxDepth' | 'fatalErrorTimeoutMs'>> {
  return {
    maxFdsPerMessage: limitOption('maxFdsPerMessage', options.maxFdsPerMessage, 4096, 0),
    maxQueuedFds: limitOption('maxQueuedFds', options.maxQueuedFds, 8192, 0),
    fatalErrorTimeoutMs: limitOption('fatalErrorTimeoutMs', options.fatalErrorTimeoutMs, 1000, 0),
    maxMessageBytes: limitOption('maxMessageBytes', options.maxMessageBytes, 64 * 1024 * 1024, 1),
    maxDepth: limitOption('maxDepth', options.maxDepth, 1000, 1),
  };
}

/** What an {@link FdPassChannel} reports. */
export interface ChannelHandlers {
  /**
   * One complete top-level value (an object, or an array for a JSON-RPC batch which the peer
   * rejects), decoded by the channel's codec, with its fds; the handler owns the fds.
   */
  message(value: unknown, fds: Fd[]): void;
  /**
   * Exactly once, last. `error` is an {@link FdPassError} for fatal protocol errors, the transport's
   * error, or undefined on a clean close/EOF.
   */
  close(error?: Error): void;
  /**
   * The peer finished sending (clean EOF between messages); no `message` follows. Writing still
   * works; the handler decides when to {@link FdPassChannel.close}. Without this handler the channel
   * closes itself at EOF (after flushing queued writes).
   */
  end?(): void;
}

type State = 'new' | 'open' | 'closing' | 'closed';

/**
 * A jsonrpc-fdpass connection: cuts the byte stream into messages (JSON by default, or the codec of
 * {@link ChannelOptions.codec}), attaches to each message the fds its `fds` member announces, and
 * sends messages with their fds.
 *
 * Receiving follows the spec's algorithm (a byte buffer and an fd FIFO; a message waits for batched
 * fds while only filler — whitespace in JSON — arrives) and additionally tracks which read brought
 * each fd, so the fds of the next message are never handed to the current one: a read that began after
 * the message started and carries bytes past its end holds the next message's fds (see FdQueue). Fds
 * that arrive before the message that claims them are legal and wait in the FIFO; fds nobody claims by
 * a clean EOF are closed. Fatal errors send a final `-32050` error response (best effort, bounded in
 * time), close the transport and every queued fd, and end with `close(FdPassError)`.
 */
export class FdPassChannel implements AsyncDisposable {
  readonly #transport: Transport;
  readonly #maxFds: number;
  readonly #maxQueued: number;
  readonly #fatalTimeoutMs: number;
  readonly #codec: MessageCodec;
  readonly #framer: MessageFramer;
  readonly #queue = new FdQueue();
  #pending: Array<{ bytes: Buffer; fds: Fd[] }>;

  #handlers: ChannelHandlers | null = null;
  #state: State = 'new';
  #closeError: Error | undefined;
  #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  /** A parsed message waiting for its fds. */
  #waiting: { value: unknown; count: number; start: number; end: number } | null = null;
  #paused = false;
  #eof = false;
  #processing = false;

  constructor(transport: Transport, options: ChannelOptions = {}) {
    this.#transport = transport;
    const { maxFdsPerMessage, maxQueuedFds, fatalErrorTimeoutMs, maxMessageBytes, maxDepth } = channelLimits(options);
    this.#maxFds = maxFdsPerMessage;
    this.#maxQueued = maxQueuedFds;
    this.#fatalTimeoutMs = fatalErrorTimeoutMs;
    this.#codec = options.codec === undefined || options.codec === 'json' ? jsonCodec : options.codec;
    this.#framer = this.#codec.createFramer({ maxMessageBytes, maxDepth });
    this.#pending = options.pending ? [...options.pending] : [];
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Starts reading; `handlers` receive every message and, last, `close`. Called once. */
  start(handlers: ChannelHandlers): void {
    if (this.#state !== 'new') throw new TransportStateError(this.#handlers ? 'channel already started' : 'channel is closed');
    this.#handlers = handlers;
    this.#state = 'open';
    const pending = this.#pending;
    this.#pending = [];
    for (const read of pending) this.#ingest(read.bytes, read.fds);
    this.#transport.start({
      data: (bytes, fds) => {
        this.#ingest(bytes, fds);
        this.#process();
      },
      end: () => {
        this.#eof = true;
        this.#process();
      },
      error: (err) => {
        this.#closeError ??= err;
      },
      close: () => this.#finish(),
    });
    queueMicrotask(() => this.#process());
  }

  /**
   * Sends `message` with `fds`. Encodes once with the channel's codec; sets the top-level `fds` member
   * to `fds.length` (omits it when 0, overriding any caller value; the caller's object is not
   * modified). Resolves when the transport handed the bytes to the kernel; the fds are borrowed until
   * then.
   */
  send(message: object, fds: readonly FdLike[] = []): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return Promise.reject(new TransportClosedError('channel is closed'));
    // Checked before `fds.length` counts them: null would throw here, a single Fd would count as 0.
    if (!Array.isArray(fds)) return Promise.reject(notAnFdArray(fds));
    let bytes: Uint8Array;
    try {
      bytes = this.#codec.encode(message, fds.length);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.#transport.write(bytes, fds, { filler: this.#codec.filler });
  }

  /** Bytes queued in the transport, not yet written. */
  get writableLength(): number {
    return this.#transport.writableLength;
  }

  /** Stops reading and dispatching until {@link resume}. */
  pause(): void {
    this.#paused = true;
    this.#transport.pause();
  }

  /** Reads and dispatches again after {@link pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#state === 'open') this.#transport.resume();
    this.#process();
  }

  /** Flushes queued writes and shuts down the writing side; reading continues. */
  end(): Promise<void> {
    return this.#transport.end();
  }

  /** Flushes queued writes, then closes. Resolves once closed (after the `close` handler ran). */
  async close(): Promise<void> {
    if (this.#state === 'new') {
      this.destroy();
      return;
    }
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.#stopReading();
      try {
        await this.#transport.close();
      } catch {
        /* the transport is destroyed either way; its close event reports the reason */
      }
    }
    await this.#closedPromise;
  }

  /** Closes at once: queued writes fail, queued fds are closed. Idempotent. */
  destroy(error?: Error): void {
    if (this.#state === 'closed') return;
    this.#closeError ??= error;
    const started = this.#state !== 'new';
    this.#state = 'closing';
    this.#stopReading();
    this.#transport.destroy(error);
    if (!started) this.#finish();
  }

  /** True once closing started (by {@link close}, {@link destroy}, a fatal error, or the transport). */
  get closed(): boolean {
    return this.#state === 'closing' || this.#state === 'closed';
  }

  /** Credentials of the peer process, when the transport knows them. */
  peerCredentials(): PeerCredentials | null {
    return this.#transport.peerCredentials();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Appends one read: bytes to the framer, fds to the FIFO tagged with where the read's bytes end. */
  #ingest(bytes: Buffer, fds: Fd[]): void {
    if (this.#state !== 'open') {
      Fd.closeAll(fds);
      return;
    }
    if (fds.length > 0) {
      let i = bytes.length - 1;
      const isFiller = this.#codec.isFiller;
      while (i >= 0 && isFiller(bytes[i]!)) i--;
      this.#queue.push(fds, this.#framer.received, i >= 0 ? this.#framer.received + i : -1);
      if (this.#queue.size > this.#maxQueued) {
        this.#fatal('limit', `more than ${this.#maxQueued} received fds queued`);
        return;
      }
    }
    this.#framer.push(bytes);
  }

  /** Runs the receiver loop until it needs more input, is paused, or the channel stops. */
  #process(): void {
    // A handler may call pause/resume/destroy; the outer loop re-checks state on every turn.
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#state === 'open' && !this.#paused) {
        if (this.#waiting === null && !this.#parseNext()) break;
        if (this.#state !== 'open') break;
        if (this.#dispatchIfComplete()) continue;
        // Still short of fds: only filler may follow until they arrive.
        if (this.#framer.skipFiller()) {
          const w = this.#waiting!;
          this.#fatal('mismatched-count', `message announced ${w.count} fds but the next message began after ${this.#queue.available(w.start, w.end, w.count)}`);
        }
        break;
      }
      if (this.#state === 'open' && !this.#paused && this.#eof) this.#atEof();
    } finally {
      this.#processing = false;
    }
  }

  /** Cuts and parses the next message into `#waiting`; false when more bytes are needed or it failed. */
  #parseNext(): boolean {
    let scanned;
    let value: unknown;
    try {
      scanned = this.#framer.next();
      if (scanned === null) return false;
      value = this.#codec.decode(scanned);
    } catch (err) {
      if (!isMessageFramingError(err)) throw err;
      this.#fatal(err.reason === 'too-large' ? 'limit' : 'framing', err.message, err);
      return false;
    }
    let count = 0;
    if (!Array.isArray(value)) {
      const fds = (value as Record<string, unknown>).fds;
      if (fds !== undefined) {
        if (typeof fds !== 'number' || !Number.isInteger(fds) || fds < 0 || fds > this.#maxFds) {
          this.#fatal('invalid-fds', `invalid fds value ${describe(fds)} (expected an integer 0…${this.#maxFds})`);
          return false;
        }
        count = fds;
      }
    }
    this.#waiting = { value, count, start: scanned.start, end: scanned.end };
    return true;
  }

  /** Dispatches `#waiting` when all its fds are available; true when it did. */
  #dispatchIfComplete(): boolean {
    const w = this.#waiting!;
    if (w.count > 0 && this.#queue.available(w.start, w.end, w.count) < w.count) return false;
    this.#waiting = null;
    const fds = this.#queue.take(w.count);
    try {
      this.#handlers!.message(w.value, fds);
    } catch (err) {
      // A throwing handler is a bug above us; never let it unwind into the transport.
      this.destroy(err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    return true;
  }

  #atEof(): void {
    if (this.#waiting !== null) {
      this.#fatal('mismatched-count', `stream ended before the ${this.#waiting.count} fds of the last message arrived`);
      return;
    }
    if (this.#framer.skipFiller()) {
      this.#fatal('framing', 'stream ended inside a message');
      return;
    }
    // Fds that no message claimed: nothing can claim them any more.
    this.#queue.closeAll();
    this.#eof = false;
    const onEnd = this.#handlers!.end;
    if (onEnd !== undefined) onEnd.call(this.#handlers);
    else void this.close();
  }

  /** Fatal protocol error: final error response (bounded), then close transport and queued fds. */
  #fatal(reason: FdPassErrorReason, message: string, cause?: unknown): void {
    if (this.#state !== 'open') return;
    const error = new FdPassError(reason, message, cause === undefined ? undefined : { cause });
    this.#closeError ??= error;
    this.#state = 'closing';
    this.#stopReading();
    // In the connection's codec: the peer can only read that one.
    let response: Uint8Array;
    try {
      response = this.#codec.encode({ jsonrpc: '2.0', error: error.toJSON(), id: null }, 0);
    } catch {
      response = new Uint8Array(0); // a codec that cannot encode its own error object: just close
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#fatalTimeoutMs);
      timer.unref();
    });
    Promise.race([this.#transport.write(response), timeout])
      .catch(() => {
        /* best effort */
      })
      .finally(() => {
        clearTimeout(timer);
        this.#transport.destroy(error);
      });
  }

  /** Stops input: nothing more is parsed or dispatched, queued fds are closed. */
  #stopReading(): void {
    this.#transport.pause();
    this.#waiting = null;
    this.#queue.closeAll();
    for (const read of this.#pending.splice(0)) Fd.closeAll(read.fds);
  }

  /** The transport closed: report once. */
  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopReading();
    const handlers = this.#handlers;
    this.#handlers = null;
    try {
      handlers?.close(this.#closeError);
    } finally {
      this.#resolveClosed();
    }
  }
}

/** A short rendering of a received value for an error message; never throws (msgpack may give a BigInt). */
function describe(value: unknown): string {
  return typeof value === 'bigint' ? `${value}` : (JSON.stringify(value)?.slice(0, 40) ?? '');
}
