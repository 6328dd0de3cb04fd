import { NulFramer, NulFramingError } from '../codec/nul-framer.js';
import { Fd, isFdNumber, type FdLike } from '../transport/fd.js';
import { TransportClosedError } from '../transport/system-error.js';
import type { PeerCredentials, Transport } from '../transport/transport.js';
import { parseVarlinkJson, stringifyVarlinkJson, VarlinkJsonError } from './idl/varlink-json.js';
import { HandoffTransport } from './handoff-transport.js';
import { VarlinkProtocolError } from './varlink-protocol-error.js';
import { VarlinkUsageError } from './varlink-usage-error.js';

/** The most fds one Varlink message may carry: they all ride one sendmsg (Linux SCM_MAX_FD). */
export const VARLINK_MAX_FDS = 253;

/** The default largest message, in bytes without the NUL (as sd-varlink and libvarlink). */
export const VARLINK_DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * fd passing on a Varlink connection, opted into per direction (systemd's convention, UAPI.20).
 * `true` enables both directions.
 */
export type VarlinkFdPassing = boolean | { readonly send?: boolean; readonly receive?: boolean };

/** Options of a {@link VarlinkConnection}. */
export interface VarlinkConnectionOptions {
  /** Largest message accepted, in bytes without the NUL; a peer that exceeds it is disconnected. */
  readonly maxMessageSize?: number;
  /** Which directions may carry fds. Default: none. */
  readonly fds?: VarlinkFdPassing;
  /**
   * Stop every read at a NUL even when fds are not received. Needed where bytes after a message may
   * belong to another protocol (an upgrade) and must not be read together with it.
   */
  readonly boundedReads?: boolean;
}

/** A received message and the fds that arrived with its first byte, in order. The receiver owns the fds. */
export interface VarlinkIncoming {
  readonly message: Readonly<Record<string, unknown>>;
  readonly fds: Fd[];
}

/** What a {@link VarlinkConnection} reports to its owner. */
export interface VarlinkConnectionHandlers {
  /** One complete message. Called synchronously from the read, so the owner may {@link VarlinkConnection.suspend}. */
  message(incoming: VarlinkIncoming): void;
  /**
   * A message that is not a JSON object (invalid UTF-8 or JSON, another value). When given, the
   * connection suspends (nothing after it is read as Varlink) and the owner decides when to close, e.g.
   * after answering the calls before it; without it the connection closes at once.
   */
  invalid?(err: VarlinkProtocolError): void;
  /** The peer shut down its writing side; replies may still be written. */
  end(): void;
  /** The connection is closed; `err` says why when it was not an orderly close. Called once, not after detach. */
  closed(err: Error | undefined): void;
}

/** The raw connection handed over by {@link VarlinkConnection.detach}. */
export interface VarlinkDetached {
  /** The same socket, for the next protocol; not yet started. */
  readonly transport: Transport;
  /** Bytes already read past the last Varlink message, with the fds that came with them, in order. */
  readonly pending: { bytes: Buffer; fds: Fd[] }[];
}

const NUL = 0;

/**
 * Varlink messages over a {@link Transport}: NUL framing, a size limit, and fd association.
 *
 * Sending: each message is one transport write, so its fds ride the write that carries its first byte
 * and no other message's bytes. Receiving on a connection that accepts fds, reads stop at each NUL
 * (`setReadBoundary(0)`), so one read never spans two messages and fds always attach to the message
 * whose bytes they came with, even when the kernel would merge an fd-less message in front of an
 * fd-carrying one (systemd issue #43823). fds that arrive with bytes continuing a message, or on a
 * connection that did not opt in, are a protocol error: the connection closes and they are closed.
 */
export class VarlinkConnection implements AsyncDisposable {
  readonly #transport: Transport;
  readonly #handlers: VarlinkConnectionHandlers;
  readonly #framer: NulFramer;
  readonly #maxMessageSize: number;
  readonly #sendFds: boolean;
  readonly #receiveFds: boolean;
  #boundedReads: boolean;
  /** fds that arrived with a chunk starting a message not yet complete. */
  #startFds: Fd[] = [];
  #suspended = false;
  /** The owner asked for {@link pause}; reading also stops while suspended (nothing is framed then). */
  #ownerPaused = false;
  /** Reads that arrived while suspended, untouched. */
  #raw: { bytes: Buffer; fds: Fd[] }[] = [];
  #handoff: HandoffTransport | undefined;
  #closed = false;
  #closeReason: Error | undefined;
  #ended = false;

  constructor(transport: Transport, handlers: VarlinkConnectionHandlers, options: VarlinkConnectionOptions = {}) {
    this.#transport = transport;
    this.#handlers = handlers;
    this.#maxMessageSize = options.maxMessageSize ?? VARLINK_DEFAULT_MAX_MESSAGE_SIZE;
    this.#framer = new NulFramer({ maxMessageBytes: this.#maxMessageSize });
    const fds = options.fds ?? false;
    this.#sendFds = typeof fds === 'boolean' ? fds : fds.send === true;
    this.#receiveFds = typeof fds === 'boolean' ? fds : fds.receive === true;
    this.#boundedReads = options.boundedReads === true;
    this.#applyBoundary();
    transport.start({
      data: (bytes, fds) => this.#onData(bytes, fds),
      end: () => this.#onEnd(),
      error: (err) => this.#onError(err),
      close: () => this.#onClose(),
      drain: () => this.#handoff?.deliver({ kind: 'drain' }),
    });
  }

  /** True once closed, destroyed or detached. */
  get closed(): boolean {
    return this.#closed || this.#handoff !== undefined;
  }

  /** Whether this side may send fds. */
  get sendsFds(): boolean {
    return this.#sendFds;
  }

  /** Whether this side accepts fds. */
  get receivesFds(): boolean {
    return this.#receiveFds;
  }

  /** Credentials of the peer process, when the transport has them. */
  peerCredentials(): PeerCredentials | null {
    return this.#transport.peerCredentials();
  }

  /**
   * Sends one message with `fds` attached to its first byte. Resolves when it was handed to the kernel.
   * @throws {VarlinkUsageError} (synchronously checked, nothing sent) for anything {@link encode} refuses.
   */
  send(message: object, fds: readonly FdLike[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError('Varlink connection is closed'));
    let bytes: Buffer;
    try {
      bytes = this.encode(message, fds);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.sendEncoded(bytes, fds);
  }

  /**
   * Checks and encodes a message for {@link sendEncoded}, sending nothing: callers that must know a
   * message can go out before they commit to it (a client queueing a call for its reply) encode first.
   * @throws {VarlinkUsageError} for fds this side may not send, fds that are not open `Fd`s or
   *   descriptor numbers, more than {@link VARLINK_MAX_FDS} fds, a message that has no JSON form (a
   *   cycle, nesting deeper than the JSON limit, NaN) or one over the size limit.
   */
  encode(message: object, fds: readonly FdLike[] = []): Buffer {
    if (fds.length > 0 && !this.#sendFds) {
      throw new VarlinkUsageError('fd passing is not enabled for sending on this connection');
    }
    if (fds.length > VARLINK_MAX_FDS) throw new VarlinkUsageError(`a Varlink message carries at most ${VARLINK_MAX_FDS} fds`);
    // Checked here rather than left to the transport: its refusal would come as a failed write, which
    // a client cannot tell from a dying connection, and one bad fd would cost every pending call.
    for (const [i, fd] of fds.entries()) {
      const problem = fdProblem(fd);
      if (problem !== undefined) throw new VarlinkUsageError(`fd ${i} of the message ${problem}`);
    }
    let bytes: Buffer;
    try {
      const text = stringifyVarlinkJson(message);
      bytes = Buffer.allocUnsafe(Buffer.byteLength(text) + 1);
      bytes.write(text, 0);
      bytes[bytes.length - 1] = NUL;
    } catch (err) {
      throw new VarlinkUsageError(`message cannot be encoded: ${(err as Error).message}`, { cause: err });
    }
    if (bytes.length - 1 > this.#maxMessageSize) {
      throw new VarlinkUsageError(`message of ${bytes.length - 1} bytes exceeds the limit of ${this.#maxMessageSize}`);
    }
    return bytes;
  }

  /**
   * Writes a message from {@link encode}. A rejection with code `EBADF` means one of `fds` was not an
   * open descriptor and nothing was written; any other rejection means the connection is failing.
   */
  sendEncoded(bytes: Buffer, fds: readonly FdLike[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError('Varlink connection is closed'));
    return this.#transport.write(bytes, fds);
  }

  /**
   * Stops turning reads into messages: everything after the message being delivered is kept raw, for
   * an upgrade. Call from {@link VarlinkConnectionHandlers.message}.
   */
  suspend(): void {
    this.#suspended = true;
    // What follows waits for a decision (an upgrade, closing after a malformed call) that may take
    // long: a peer that keeps writing must meet backpressure, not fill #raw without bound.
    this.#applyPause();
  }

  /** Undoes {@link suspend} (the upgrade was refused): kept reads are framed as Varlink again. */
  unsuspend(): void {
    if (!this.#suspended || this.closed) return;
    this.#suspended = false;
    // Messages already buffered (read together with the one that suspended) come first.
    this.#drainFramer();
    const raw = this.#raw;
    this.#raw = [];
    for (const [i, chunk] of raw.entries()) {
      if (this.closed) {
        for (const rest of raw.slice(i)) Fd.closeAll(rest.fds);
        return;
      }
      if (this.#suspended) {
        // A kept message suspended the connection again: the rest stays raw, in order.
        this.#raw.push(...raw.slice(i));
        return;
      }
      this.#ingest(chunk.bytes, chunk.fds);
      if (!this.closed) this.#drainFramer();
    }
    if (!this.#suspended && !this.closed && this.#ended) this.#handlers.end();
    // Reading again only now, so nothing new overtakes the kept reads.
    this.#applyPause();
  }

  /** Makes reads stop at each NUL (or not, when fds are not received). */
  setBoundedReads(on: boolean): void {
    this.#boundedReads = on;
    if (!this.closed) this.#applyBoundary();
  }

  /**
   * Hands the socket to another protocol (after a confirmed upgrade): returns the transport and every
   * byte and fd read past the last delivered message. The connection no longer reads or closes it.
   */
  detach(): VarlinkDetached {
    if (this.closed) throw new TransportClosedError('Varlink connection is closed');
    this.#suspended = true;
    const pending: { bytes: Buffer; fds: Fd[] }[] = [];
    const rest = this.#framer.takeRemainder();
    if (rest.length > 0 || this.#startFds.length > 0) {
      pending.push({ bytes: rest.length === 1 ? rest[0]! : Buffer.concat(rest), fds: this.#startFds });
    }
    this.#startFds = [];
    pending.push(...this.#raw);
    this.#raw = [];
    // The next protocol chooses its own read mode, and reads from the start (suspending paused it;
    // the handoff holds back a flood until its owner starts it).
    this.#transport.setReadBoundary(null);
    this.#transport.resume();
    this.#handoff = new HandoffTransport(this.#transport);
    if (this.#ended) this.#handoff.deliver({ kind: 'end' });
    return { transport: this.#handoff, pending };
  }

  /** Stops reading until {@link resume} (backpressure). */
  pause(): void {
    this.#ownerPaused = true;
    this.#applyPause();
  }

  /** Reads again after {@link pause} (unless suspended). */
  resume(): void {
    this.#ownerPaused = false;
    this.#applyPause();
  }

  /** Flushes queued writes, then shuts down the writing side. */
  end(): Promise<void> {
    return this.#transport.end();
  }

  /** Flushes queued writes, then closes. */
  async close(): Promise<void> {
    if (this.#handoff !== undefined || this.#closed) return;
    await this.#transport.close();
  }

  /** Closes at once; `err` is reported as the reason. */
  destroy(err?: Error): void {
    if (this.#handoff !== undefined) return;
    if (err !== undefined && this.#closeReason === undefined) this.#closeReason = err;
    this.#transport.destroy(err);
    // Transports report `close` asynchronously or not at all once closed: release now either way.
    this.#finish();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #applyPause(): void {
    if (this.closed) return;
    if (this.#ownerPaused || this.#suspended) this.#transport.pause();
    else this.#transport.resume();
  }

  #applyBoundary(): void {
    this.#transport.setReadBoundary(this.#receiveFds || this.#boundedReads ? NUL : null);
  }

  #onData(bytes: Buffer, fds: Fd[]): void {
    if (this.#handoff !== undefined) {
      this.#handoff.deliver({ kind: 'data', bytes, fds });
      return;
    }
    if (this.#closed) {
      Fd.closeAll(fds);
      return;
    }
    if (this.#suspended) {
      this.#raw.push({ bytes, fds });
      return;
    }
    this.#ingest(bytes, fds);
    if (!this.#suspended && !this.closed) this.#drainFramer();
  }

  /** Takes one read into the framer, attaching its fds to the message it starts. */
  #ingest(bytes: Buffer, fds: Fd[]): void {
    if (fds.length > 0) {
      if (!this.#receiveFds) {
        Fd.closeAll(fds);
        this.#protocolError('received fds on a connection that does not accept them');
        return;
      }
      if (this.#framer.bufferedBytes > 0) {
        Fd.closeAll(fds);
        this.#protocolError('received fds with bytes that continue a message instead of starting one');
        return;
      }
      this.#startFds.push(...fds);
    }
    this.#framer.push(bytes);
  }

  #drainFramer(): void {
    while (!this.#suspended && !this.closed) {
      let frame: Buffer | null;
      try {
        frame = this.#framer.next();
      } catch (err) {
        if (!(err instanceof NulFramingError)) throw err;
        this.#protocolError(`message exceeds the limit of ${this.#maxMessageSize} bytes`);
        return;
      }
      if (frame === null) return;
      const fds = this.#startFds;
      this.#startFds = [];
      this.#deliver(frame, fds);
    }
  }

  #deliver(frame: Buffer, fds: Fd[]): void {
    let value: unknown;
    try {
      value = parseVarlinkJson(utf8.decode(frame));
    } catch (err) {
      Fd.closeAll(fds);
      if (err instanceof VarlinkJsonError || err instanceof TypeError) {
        this.#invalid(`message is not valid UTF-8 JSON: ${err.message}`);
        return;
      }
      throw err;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      Fd.closeAll(fds);
      this.#invalid('message is not a JSON object');
      return;
    }
    try {
      this.#handlers.message({ message: value as Readonly<Record<string, unknown>>, fds });
    } catch (err) {
      // The owner must not throw from a read; treat it as fatal rather than lose the stream position.
      this.destroy(err as Error);
    }
  }

  #invalid(message: string): void {
    const err = new VarlinkProtocolError(message);
    if (this.#handlers.invalid === undefined) {
      this.destroy(err);
      return;
    }
    this.#suspended = true;
    this.#handlers.invalid(err);
  }

  #protocolError(message: string): void {
    this.destroy(new VarlinkProtocolError(message));
  }

  #onEnd(): void {
    if (this.#handoff !== undefined) {
      this.#handoff.deliver({ kind: 'end' });
      return;
    }
    if (this.#ended) return;
    this.#ended = true;
    // While suspended the EOF belongs after the kept reads: reported on unsuspend, or handed over on detach.
    if (this.#suspended) return;
    this.#handlers.end();
  }

  #onError(err: Error): void {
    if (this.#handoff !== undefined) {
      this.#handoff.deliver({ kind: 'error', err });
      return;
    }
    if (this.#closeReason === undefined) this.#closeReason = err;
  }

  #onClose(): void {
    if (this.#handoff !== undefined) {
      this.#handoff.deliver({ kind: 'close' });
      return;
    }
    this.#finish();
  }

  /** Releases what was read and not delivered, and reports the close; once (nothing is kept after it). */
  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    Fd.closeAll(this.#startFds);
    this.#startFds = [];
    for (const chunk of this.#raw) Fd.closeAll(chunk.fds);
    this.#raw = [];
    this.#framer.takeRemainder();
    this.#handlers.closed(this.#closeReason);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a failed send left nothing on the wire: {@link VarlinkConnection.encode} refuses before
 * writing (usage errors), and the transport fails only the one write whose fds are not open (EBADF
 * before any byte went out). Anything else means the connection is going away.
 */
export function nothingSent(err: unknown): boolean {
  return err instanceof VarlinkUsageError || (err as { code?: unknown } | null)?.code === 'EBADF';
}

/** Why `fd` cannot be sent, or `undefined` when it can (as far as can be told without a syscall). */
function fdProblem(fd: unknown): string | undefined {
  if (fd instanceof Fd) return fd.closed ? 'is closed or was taken' : undefined;
  if (isFdNumber(fd)) return undefined;
  return `is not a file descriptor: ${typeof fd === 'number' ? String(fd) : typeof fd}`;
}
