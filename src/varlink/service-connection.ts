import { ConnectionClosedError } from '../jsonrpc/connection-closed-error.js';
import type { FdLike } from '../transport/fd.js';
import { Fd } from '../transport/fd.js';
import type { PeerCredentials, Transport } from '../transport/transport.js';
import { nothingSent, VarlinkConnection, type VarlinkDetached, type VarlinkFdPassing, type VarlinkIncoming } from './varlink-connection.js';
import type { VarlinkError } from './varlink-error.js';
import { checkCall, replyMessage, type VarlinkCall, type VarlinkParameters } from './varlink-message.js';
import { VarlinkProtocolError } from './varlink-protocol-error.js';
import { VarlinkUsageError } from './varlink-usage-error.js';

/** Options of one served connection. */
export interface ServiceConnectionOptions {
  readonly fds?: VarlinkFdPassing;
  readonly maxMessageSize?: number;
  /** Reads stop at each NUL, so bytes after an `upgrade` call are never read as part of it. */
  readonly boundedReads?: boolean;
}

/** One call as the dispatcher sees it, with the means to answer it. */
export interface CallResponder {
  readonly call: VarlinkCall;
  /** fds that came with the call; whatever is not taken is closed after the dispatcher settles. */
  readonly fds: readonly Fd[];
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal;
  /** True once the final reply (or error) was sent; a reply that could not be sent does not count. */
  readonly answered: boolean;
  peerCredentials(): PeerCredentials | null;
  /**
   * Sends a reply (nothing for `oneway` calls). `continues` only when the call asked for `more`. Rejects with
   * {@link VarlinkUsageError} when the reply cannot be encoded or its fds cannot be sent: nothing went
   * out, and the call still awaits its final reply.
   */
  reply(parameters: VarlinkParameters, options?: { continues?: boolean; fds?: readonly FdLike[] }): Promise<void>;
  /** Sends an error reply (nothing for `oneway` calls); fails like {@link reply} when it cannot be sent. */
  error(err: VarlinkError): Promise<void>;
  /** Sends the confirming reply of an `upgrade` call and hands the connection over. */
  upgrade(parameters: VarlinkParameters, fds?: readonly FdLike[]): VarlinkDetached;
}

/** Handles one call completely (every reply sent) before the next one is taken. */
export type CallDispatcher = (responder: CallResponder) => Promise<void>;

type QueueItem =
  | { readonly kind: 'call'; readonly call: VarlinkCall; readonly fds: Fd[] }
  | { readonly kind: 'malformed'; readonly reason: string };

/** Reading pauses while this many calls wait, and resumes below the low mark. */
const QUEUE_HIGH_WATER = 32;
const QUEUE_LOW_WATER = 8;

/**
 * The service side of one Varlink connection: calls are taken in order and each is answered
 * completely before the next starts (as `more` requires), so replies keep the call order however
 * many calls the client pipelines. A malformed call closes the connection once the calls before it
 * were answered. An `upgrade` call stops reading: the bytes after it belong to the next protocol.
 */
export class ServiceConnection {
  readonly #conn: VarlinkConnection;
  readonly #dispatch: CallDispatcher;
  readonly #queue: QueueItem[] = [];
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #ended = false;
  #paused = false;
  #detached = false;
  /** Resolves when the connection is closed or handed over. */
  readonly done: Promise<void>;
  #resolveDone!: () => void;

  constructor(transport: Transport, dispatch: CallDispatcher, options: ServiceConnectionOptions = {}) {
    this.#dispatch = dispatch;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#conn = new VarlinkConnection(
      transport,
      {
        message: (incoming) => this.#onMessage(incoming),
        invalid: (err) => this.#enqueueMalformed(err.message),
        end: () => {
          this.#ended = true;
          this.#wakeUp();
        },
        closed: (err) => this.#onClosed(err),
      },
      {
        ...(options.fds !== undefined ? { fds: options.fds } : {}),
        ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
        ...(options.boundedReads !== undefined ? { boundedReads: options.boundedReads } : {}),
      },
    );
    void this.#run();
  }

  /** Flushes replies, then closes. */
  async close(): Promise<void> {
    await this.#conn.close();
  }

  /** Closes at once. */
  destroy(err?: Error): void {
    this.#conn.destroy(err);
  }

  #onMessage({ message, fds }: VarlinkIncoming): void {
    const checked = checkCall(message);
    if (!checked.ok) {
      Fd.closeAll(fds);
      this.#enqueueMalformed(checked.reason);
      return;
    } else {
      // Bytes after an upgrade call belong to the next protocol unless the upgrade is refused.
      if (checked.value.upgrade) this.#conn.suspend();
      this.#queue.push({ kind: 'call', call: checked.value, fds });
    }
    if (this.#queue.length >= QUEUE_HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#conn.pause();
    }
    this.#wakeUp();
  }

  /** Nothing after a malformed call is read; the calls before it are still answered, then it closes. */
  #enqueueMalformed(reason: string): void {
    this.#conn.suspend();
    this.#queue.push({ kind: 'malformed', reason });
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async #run(): Promise<void> {
    while (!this.#conn.closed) {
      const item = this.#queue.shift();
      if (item === undefined) {
        if (this.#ended) {
          // The client sent its last call and every reply is out: done.
          await this.#conn.close().catch(() => undefined);
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      if (this.#paused && this.#queue.length <= QUEUE_LOW_WATER) {
        this.#paused = false;
        this.#conn.resume();
      }
      if (item.kind === 'malformed') {
        this.#conn.destroy(new VarlinkProtocolError(`malformed call: ${item.reason}`));
        return;
      }
      await this.#handle(item.call, item.fds);
      if (this.#detached) return;
    }
  }

  async #handle(call: VarlinkCall, fds: Fd[]): Promise<void> {
    let replied = false;
    let errored = false;
    const conn = this.#conn;
    /**
     * Sends the final reply (or error) of this call. It counts as answered only if it went out: a reply
     * that cannot be encoded (a cycle, nesting too deep, too big) or whose fds cannot be sent leaves
     * nothing on the wire, and the call must then still get its one reply (the dispatcher's internal
     * error). Counting it answered anyway made the fallback "already answered", and the client matched
     * the next call's reply to this call.
     */
    const sendFinal = async (message: object, replyFds: readonly FdLike[]): Promise<void> => {
      replied = true; // at once, so a second final reply racing this one is refused
      try {
        await conn.send(message, replyFds);
      } catch (err) {
        if (nothingSent(err)) replied = false;
        throw err;
      }
    };
    const responder: CallResponder = {
      call,
      fds,
      signal: this.#abort.signal,
      get answered() {
        return replied;
      },
      peerCredentials: () => conn.peerCredentials(),
      reply: async (parameters, options = {}) => {
        if (this.#detached) throw new VarlinkUsageError('the connection was upgraded');
        if (options.continues === true && !call.more) {
          throw new VarlinkUsageError(`${call.method} was called without "more": it takes exactly one reply`);
        }
        // Continues replies too: one sent after the final reply would be read as the next call's.
        if (replied) throw new VarlinkUsageError(`${call.method} was already answered`);
        if (call.oneway) {
          if (!options.continues) replied = true;
          return;
        }
        if (options.continues) {
          await conn.send(replyMessage({ parameters, continues: true }), options.fds ?? []);
          return;
        }
        await sendFinal(replyMessage({ parameters }), options.fds ?? []);
      },
      error: async (err) => {
        if (this.#detached) throw new VarlinkUsageError('the connection was upgraded');
        if (replied) throw new VarlinkUsageError(`${call.method} was already answered`);
        if (call.oneway) {
          replied = true;
          errored = true;
          return;
        }
        await sendFinal(replyMessage({ error: err.error, parameters: { ...err.parameters } }), []);
        errored = true;
      },
      upgrade: (parameters, replyFds = []) => {
        if (!call.upgrade) throw new VarlinkUsageError(`${call.method} was called without "upgrade"`);
        if (replied) throw new VarlinkUsageError(`${call.method} was already answered`);
        replied = true;
        // Written before the hand-over, and the transport keeps write order: the reply goes first.
        conn.send(replyMessage({ parameters }), replyFds).catch(() => undefined);
        const detached = conn.detach();
        this.#detached = true;
        this.#resolveDone();
        return detached;
      },
    };
    try {
      await this.#dispatch(responder);
    } catch {
      // The dispatcher answers everything itself; a failure here means the connection is gone.
    } finally {
      Fd.closeAll(fds);
    }
    if (call.upgrade && !this.#detached && !conn.closed) {
      if (errored || !replied) {
        // Refused (or not answered at all): the connection stays Varlink, kept bytes are calls again.
        conn.unsuspend();
      } else {
        // A success reply confirmed an upgrade nobody took over: nothing else is defined, so close.
        await conn.close().catch(() => undefined);
      }
    }
  }

  #onClosed(err: Error | undefined): void {
    this.#abort.abort(err ?? new ConnectionClosedError('connection closed'));
    for (const item of this.#queue.splice(0)) if (item.kind === 'call') Fd.closeAll(item.fds);
    this.#wakeUp();
    this.#resolveDone();
  }
}

