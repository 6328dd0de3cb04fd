import type { ChildProcess } from 'node:child_process';
import { ConnectionClosedError } from '../jsonrpc/connection-closed-error.js';
import { RequestTimeoutError } from '../jsonrpc/request-timeout-error.js';
import { checkTimeout } from '../jsonrpc/timeout-option.js';
import { Fd, type FdLike } from '../transport/fd.js';
import type { PeerCredentials, Transport } from '../transport/transport.js';
import type { JsonRpcPeer } from '../jsonrpc/peer.js';
import { connectVarlinkAddress, VarlinkExecError, type VarlinkAddress } from './address.js';
import { upgradeClientToFdPass, type FdPassUpgradeOptions } from './fdpass-upgrade-client.js';
import {
  nothingSent,
  VarlinkConnection,
  type VarlinkDetached,
  type VarlinkFdPassing,
  type VarlinkIncoming,
} from './varlink-connection.js';
import { VarlinkError } from './varlink-error.js';
import { callMessage, checkReply, type VarlinkParameters, type VarlinkReply } from './varlink-message.js';
import { VarlinkProtocolError } from './varlink-protocol-error.js';
import { VarlinkUsageError } from './varlink-usage-error.js';
import { splitQualifiedName } from './idl/varlink-names.js';

/** Options of a {@link VarlinkClient}. */
export interface VarlinkClientOptions {
  /** fd passing, per direction; `true` for both. Default: off (fds from the service close the connection). */
  readonly fds?: VarlinkFdPassing;
  /** Largest reply accepted, in bytes (16 MiB by default). */
  readonly maxMessageSize?: number;
}

/** Options of {@link VarlinkClient.connect}. */
export interface VarlinkConnectOptions extends VarlinkClientOptions {
  /** Aborts connecting. */
  readonly signal?: AbortSignal;
}

/** Options of one call. */
export interface VarlinkCallOptions {
  /** fds sent with the call; parameters refer to them by index. Borrowed until the call was written. */
  readonly fds?: readonly FdLike[];
  /**
   * Stops waiting: the call rejects with the signal's reason. Varlink cannot cancel a call, so its
   * reply (or replies) are still read and dropped, fds closed; the connection stays usable.
   */
  readonly signal?: AbortSignal;
  /** Rejects with `RequestTimeoutError` after this long, with the same effect as `signal`. */
  readonly timeoutMs?: number;
}

/** A successful reply and the fds that came with it (the caller owns them). */
export interface VarlinkCallResult<P = VarlinkParameters> {
  readonly parameters: P;
  readonly fds: Fd[];
}

/** One reply of a `more` call; `continues` is false on the last. */
export interface VarlinkStreamReply<P = VarlinkParameters> extends VarlinkCallResult<P> {
  readonly continues: boolean;
}

/**
 * A confirmed upgrade: the reply, and the connection handed over to the new protocol. `pending` holds
 * the bytes and fds already read past the reply, in order; feed them to the new protocol first.
 */
export interface VarlinkUpgradeResult<P = VarlinkParameters> extends VarlinkCallResult<P>, VarlinkDetached {}

type CallKind = 'call' | 'more' | 'upgrade';

interface PendingCall {
  readonly kind: CallKind;
  readonly method: string;
  /** Nobody waits any more (aborted, timed out, stream left): replies are dropped. */
  abandoned: boolean;
  /** Marks the call abandoned without failing it, and drops its timer and abort listener. */
  abandon(): void;
  /** Handles one reply; returns true when the call is complete. */
  reply(reply: VarlinkReply, fds: Fd[]): boolean;
  fail(err: Error): void;
}

/** Resolves once `child` has exited, or after `ms`. */
function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      child.off('exit', done);
      resolve();
    }
    child.once('exit', done);
  });
}

/**
 * Why a call's method name or parameters cannot be sent, or `undefined`. A service closes the
 * connection on parameters that are not an object, so such a call would cost every pending one; a
 * method name that is not `interface.Method` can only be answered with an error.
 */
function checkCallArguments(method: unknown, parameters: unknown): VarlinkUsageError | undefined {
  if (typeof method !== 'string' || splitQualifiedName(method) === undefined) {
    const shown = typeof method === 'string' ? JSON.stringify(method.length > 80 ? `${method.slice(0, 80)}…` : method) : typeof method;
    return new VarlinkUsageError(`not a qualified Varlink method name (interface.Method): ${shown}`);
  }
  if (parameters !== undefined && parameters !== null && (typeof parameters !== 'object' || Array.isArray(parameters))) {
    return new VarlinkUsageError(`parameters of ${method} must be an object, not ${Array.isArray(parameters) ? 'an array' : typeof parameters}`);
  }
  return undefined;
}

/** How many unread `more` replies are buffered before reading from the service pauses. */
const STREAM_HIGH_WATER = 64;

/**
 * A Varlink client on one connection. Calls may be pipelined: each is written at once and replies are
 * matched in order. `call` waits for one reply, `stream` iterates the replies of a `more` call, `send`
 * is `oneway`, `upgrade` hands the connection over to another protocol.
 *
 * Replies that break the protocol (a reply nobody asked for, `continues` without `more` or on an
 * error, a non-object, unknown keys, fds that were not enabled) close the connection; every waiting
 * call then rejects with `ConnectionClosedError` whose `cause` is the {@link VarlinkProtocolError}.
 */
export class VarlinkClient implements AsyncDisposable {
  readonly #conn: VarlinkConnection;
  readonly #pending: PendingCall[] = [];
  #closedError: Error | undefined;
  #child: ChildProcess | undefined;
  #program = '';
  /** close() or destroy() was called: the connection's end is ours, not the service's. */
  #closing = false;
  #pausedBy = new Set<object>();
  readonly #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  /** Runs the Varlink protocol on an already connected transport, which it takes over. */
  constructor(transport: Transport, options: VarlinkClientOptions = {}) {
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#conn = new VarlinkConnection(
      transport,
      {
        message: (incoming) => this.#onMessage(incoming),
        end: () => this.#onEnd(),
        closed: (err) => this.#onClosed(err),
      },
      {
        ...(options.fds !== undefined ? { fds: options.fds } : {}),
        ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
      },
    );
  }

  /** Connects to `unix:/path`, `unix:@abstract`, `tcp:host:port` or `exec:/path/to/service`. */
  static async connect(address: string | VarlinkAddress, options: VarlinkConnectOptions = {}): Promise<VarlinkClient> {
    const { signal, ...clientOptions } = options;
    const { transport, child, program } = await connectVarlinkAddress(address, signal ? { signal } : {});
    const client = new VarlinkClient(transport, clientOptions);
    client.#child = child;
    client.#program = program ?? '';
    return client;
  }

  /** True once the connection is closed or handed over by an upgrade. */
  get closed(): boolean {
    return this.#conn.closed;
  }

  /** Resolves when the connection is closed or handed over. */
  get whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Credentials of the service process (Unix sockets only). */
  peerCredentials(): PeerCredentials | null {
    return this.#conn.peerCredentials();
  }

  /**
   * Calls `method` and waits for its one reply.
   * @throws {VarlinkError} for an error reply; `ConnectionClosedError` when the connection dies first.
   */
  async call<P = VarlinkParameters>(
    method: string,
    parameters?: VarlinkParameters,
    options: VarlinkCallOptions = {},
  ): Promise<VarlinkCallResult<P>> {
    return this.#callOnce('call', method, parameters, options, (reply, fds) => ({ parameters: reply.parameters as P, fds }));
  }

  /**
   * Calls `method` with `more` and iterates its replies: every `continues` reply, then the last one.
   * The call is written at once (so it keeps its place among pipelined calls); replies are buffered
   * until read, and reading from the service pauses while many are unread. Leaving the loop early
   * drops the remaining replies (closing their fds).
   * @throws {VarlinkError} from the iterator when the service answers with an error.
   */
  stream<P = VarlinkParameters>(
    method: string,
    parameters?: VarlinkParameters,
    options: VarlinkCallOptions = {},
  ): AsyncIterableIterator<VarlinkStreamReply<P>> {
    const buffered: VarlinkStreamReply<P>[] = [];
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const token = {};
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const entry = this.#enqueue('more', method, parameters, options, {
      reply: (reply, fds) => {
        if (reply.error !== undefined) {
          Fd.closeAll(fds);
          failure = new VarlinkError(reply.error, reply.parameters);
          done = true;
        } else {
          buffered.push({ parameters: reply.parameters as P, fds, continues: reply.continues });
          if (!reply.continues) done = true;
          if (buffered.length >= STREAM_HIGH_WATER) this.#pauseFor(token);
        }
        notify();
        return done;
      },
      fail: (err) => {
        failure = err;
        done = true;
        notify();
      },
    });
    if (entry instanceof Error) {
      failure = entry;
      done = true;
    }
    const abandon = (): void => {
      if (entry instanceof Error) return;
      entry.abandon();
      for (const r of buffered.splice(0)) Fd.closeAll(r.fds);
      this.#resumeFor(token);
    };
    const iterator: AsyncIterableIterator<VarlinkStreamReply<P>> = {
      next: async (): Promise<IteratorResult<VarlinkStreamReply<P>>> => {
        for (;;) {
          const item = buffered.shift();
          if (item !== undefined) {
            if (buffered.length < STREAM_HIGH_WATER / 2) this.#resumeFor(token);
            return { done: false, value: item };
          }
          if (failure !== undefined) {
            const err = failure;
            failure = undefined;
            this.#resumeFor(token);
            throw err;
          }
          if (done) {
            this.#resumeFor(token);
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      return: async (): Promise<IteratorResult<VarlinkStreamReply<P>>> => {
        if (!done) abandon();
        else for (const r of buffered.splice(0)) Fd.closeAll(r.fds);
        done = true;
        failure = undefined;
        this.#resumeFor(token);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /**
   * Calls `method` with `oneway`: the service sends no reply, not even an error. Resolves once the
   * call was written.
   */
  async send(method: string, parameters?: VarlinkParameters, options: Omit<VarlinkCallOptions, 'timeoutMs'> = {}): Promise<void> {
    const err = this.#checkCanCall() ?? checkCallArguments(method, parameters);
    if (err) throw err;
    options.signal?.throwIfAborted();
    await this.#conn.send(callMessage(method, parameters, 'oneway'), options.fds ?? []);
  }

  /**
   * Calls `method` with `upgrade`. On success the connection is no longer Varlink: the result carries
   * the raw transport (not yet started) and what was read past the reply. An error reply rejects with
   * {@link VarlinkError} and leaves this client usable. No other call may be made while it is pending,
   * nor after an abort or timeout until its reply came: a refusal then leaves the client usable, a
   * confirmation closes it.
   */
  async upgrade<P = VarlinkParameters>(
    method: string,
    parameters?: VarlinkParameters,
    options: VarlinkCallOptions = {},
  ): Promise<VarlinkUpgradeResult<P>> {
    return this.#callOnce('upgrade', method, parameters, options, (reply, fds) => {
      // Still inside the read that delivered the reply: nothing after it was framed as Varlink.
      const detached = this.#conn.detach();
      this.#pending.shift();
      this.#finishAfterDetach();
      return { parameters: reply.parameters as P, fds, ...detached };
    });
  }

  /**
   * Calls `method` with `upgrade` and, once the service confirms with `protocol: "jsonrpc-fdpass"`,
   * returns a {@link JsonRpcPeer} on the same socket. Bytes and fds the service sent right after the
   * reply reach the peer first, in order. This client is then closed (handed over).
   *
   * @throws {VarlinkError} when the service refuses (this client stays a usable Varlink connection).
   * @throws {UpgradeNotSupportedError} when the service closes the connection instead of replying.
   * @throws {FdPassUpgradeError} when the reply names another protocol or codec, or carries fds (the
   *   socket is closed).
   * @throws the signal's reason or `RequestTimeoutError` when giving up first (the connection is closed).
   */
  upgradeToFdPass(method: string, parameters?: VarlinkParameters, options: FdPassUpgradeOptions = {}): Promise<JsonRpcPeer> {
    return upgradeClientToFdPass(this, method, parameters, options);
  }

  /** Waits for outstanding writes, then closes the connection. Waiting calls reject. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#conn.close();
    this.#reap();
  }

  /** Closes at once. Waiting calls reject. */
  destroy(err?: Error): void {
    this.#closing = true;
    this.#conn.destroy(err);
    this.#reap();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * An upgrade call waits for its reply, also after its caller gave up (the reply may still switch
   * protocols). No call may follow one, so it is the last in the queue; it leaves the queue when its
   * reply is read, when it could not be sent, or when the connection closes.
   */
  get #upgrading(): boolean {
    return this.#pending.at(-1)?.kind === 'upgrade';
  }

  #checkCanCall(): Error | undefined {
    if (this.#conn.closed) {
      return new ConnectionClosedError('Varlink connection is closed', { cause: this.#closedError });
    }
    if (this.#upgrading) return new VarlinkUsageError('no call may follow an upgrade call before its reply');
    return undefined;
  }

  /** A `call` or `upgrade` call: one reply, `onReply` builds the result of a successful one. */
  #callOnce<T>(
    kind: 'call' | 'upgrade',
    method: string,
    parameters: VarlinkParameters | undefined,
    options: VarlinkCallOptions,
    onReply: (reply: VarlinkReply, fds: Fd[]) => T,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = this.#enqueue(kind, method, parameters, options, {
        reply: (reply, fds) => {
          if (reply.error !== undefined) {
            Fd.closeAll(fds);
            reject(new VarlinkError(reply.error, reply.parameters));
          } else {
            resolve(onReply(reply, fds));
          }
          return true;
        },
        fail: reject,
      });
      if (entry instanceof Error) reject(entry);
    });
  }

  #enqueue(
    kind: CallKind,
    method: string,
    parameters: VarlinkParameters | undefined,
    options: VarlinkCallOptions,
    handlers: Pick<PendingCall, 'reply' | 'fail'>,
  ): PendingCall | Error {
    const err = this.#checkCanCall() ?? checkCallArguments(method, parameters);
    if (err) return err;
    const { signal } = options;
    let timeoutMs: number | undefined;
    try {
      timeoutMs = checkTimeout(options.timeoutMs);
    } catch (e) {
      return e as Error;
    }
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
    const flag = kind === 'call' ? undefined : kind;
    const fds = options.fds ?? [];
    // Encoded before the call takes a place in the reply queue: a call that cannot be sent (bad fds, no
    // JSON form, too big) fails alone, and nothing is written for it.
    let bytes: Buffer;
    try {
      bytes = this.#conn.encode(callMessage(method, parameters, flag), fds);
    } catch (e) {
      return e as Error;
    }
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const entry: PendingCall = {
      kind,
      method,
      abandoned: false,
      abandon: () => {
        entry.abandoned = true;
        cleanup();
      },
      reply: (reply, fds) => {
        const complete = handlers.reply(reply, fds);
        if (complete) cleanup();
        return complete;
      },
      fail: (e) => {
        cleanup();
        handlers.fail(e);
      },
    };
    // The call keeps its slot: its reply will still come, and must be matched and dropped.
    const giveUp = (reason: Error): void => {
      if (entry.abandoned) return;
      entry.abandoned = true;
      entry.fail(reason);
    };
    const onAbort = (): void =>
      giveUp(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => giveUp(new RequestTimeoutError(method, timeoutMs)), timeoutMs);
    this.#pending.push(entry);
    // Reads stop at each NUL while an upgrade call is queued (no read can happen before this synchronous
    // step ends), so its reply is never read together with bytes (and fds) of the protocol that may
    // follow it. A call refused above leaves them as they are: an upgrade may be waiting for its reply.
    if (kind === 'upgrade') this.#conn.setBoundedReads(true);
    this.#conn.sendEncoded(bytes, fds).catch((e: Error) => {
      // Not written (an fd that is not open: the transport fails just that write with EBADF): no reply
      // will come for it, so it must leave the queue, or replies would shift. The connection stays.
      if (nothingSent(e) && !this.#conn.closed) {
        const i = this.#pending.indexOf(entry);
        if (i >= 0) this.#pending.splice(i, 1);
        if (entry.kind === 'upgrade') this.#conn.setBoundedReads(false);
        if (!entry.abandoned) {
          entry.fail(new VarlinkUsageError(`${method} was not sent: an fd of the call is not open (${e.message})`, { cause: e }));
        }
        return;
      }
      // A failed write means the connection is going away; #reap fails everything.
      this.destroy(e);
    });
    return entry;
  }

  #onMessage({ message, fds }: VarlinkIncoming): void {
    const entry = this.#pending[0];
    if (entry === undefined) {
      Fd.closeAll(fds);
      this.#conn.destroy(new VarlinkProtocolError('reply received while no call is waiting for one'));
      return;
    }
    const checked = checkReply(message);
    if (!checked.ok) {
      Fd.closeAll(fds);
      this.#conn.destroy(new VarlinkProtocolError(`malformed reply to ${entry.method}: ${checked.reason}`));
      return;
    }
    const reply = checked.value;
    if (reply.continues && entry.kind !== 'more') {
      Fd.closeAll(fds);
      this.#conn.destroy(new VarlinkProtocolError(`reply to ${entry.method} continues, but the call did not ask for more`));
      return;
    }
    if (entry.kind === 'upgrade') {
      if (reply.error !== undefined) {
        // Refused: the connection stays Varlink, and its reads need not stop at each NUL any more.
        this.#conn.setBoundedReads(false);
      } else if (entry.abandoned) {
        Fd.closeAll(fds);
        // The service switched protocols but nobody takes the connection: close it.
        this.#conn.destroy(new ConnectionClosedError('upgrade confirmed after the caller gave up'));
        return;
      }
    }
    if (entry.abandoned) {
      Fd.closeAll(fds);
      if (!reply.continues) this.#pending.shift();
      return;
    }
    // A confirmed upgrade has already emptied the queue (detached), so this shift finds nothing.
    const complete = entry.reply(reply, fds);
    if (complete || !reply.continues) this.#pending.shift();
  }

  #onEnd(): void {
    // The service will send nothing more: calls still waiting cannot be answered.
    if (this.#pending.length > 0) {
      this.#conn.destroy(new ConnectionClosedError('the service closed the connection'));
    } else {
      void this.#conn.close();
    }
  }

  #onClosed(err: Error | undefined): void {
    this.#closedError = err;
    const child = this.#child;
    if (child !== undefined && !this.#closing && this.#pending.length > 0) {
      // An exec: service went away with calls waiting: its exit (not found, crashed, exited) is the
      // reason, not the socket's ECONNRESET. The exit event may trail the socket's end a little.
      void waitForExit(child, 500).then(() => {
        if (child.exitCode !== null || child.signalCode !== null) {
          this.#closedError = VarlinkExecError.fromExit(this.#program, child.exitCode, child.signalCode, { cause: err });
        }
        this.#reap();
      });
      return;
    }
    this.#reap();
  }

  #reap(): void {
    if (!this.#conn.closed) return;
    const err = new ConnectionClosedError('Varlink connection closed', { cause: this.#closedError });
    for (const entry of this.#pending.splice(0)) if (!entry.abandoned) entry.fail(err);
    this.#pausedBy.clear();
    if (this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      // exec: services exit on EOF; a stuck one must not outlive its only connection.
      const child = this.#child;
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      }, 1000).unref();
    }
    this.#child = undefined;
    this.#resolveClosed();
  }

  #finishAfterDetach(): void {
    const err = new ConnectionClosedError('the connection was upgraded to another protocol');
    for (const entry of this.#pending.splice(0)) if (!entry.abandoned) entry.fail(err);
    this.#resolveClosed();
  }

  #pauseFor(token: object): void {
    if (this.#pausedBy.size === 0) this.#conn.pause();
    this.#pausedBy.add(token);
  }

  #resumeFor(token: object): void {
    if (!this.#pausedBy.delete(token)) return;
    if (this.#pausedBy.size === 0 && !this.#conn.closed) this.#conn.resume();
  }
}
