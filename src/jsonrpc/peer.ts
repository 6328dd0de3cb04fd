import { channelLimits, FdPassChannel, type ChannelOptions } from '../fdpass/channel.js';
import { limitOption } from '../fdpass/limit-option.js';
import { Fd, checkFds, type FdLike } from '../transport/fd.js';
import { InvalidArgumentError } from '../transport/system-error.js';
import { WRITTEN, type PeerCredentials, type Transport } from '../transport/transport.js';
import { ConnectionClosedError } from './connection-closed-error.js';
import { ErrorCodes } from './error-codes.js';
import type { Handler, HandlerContext } from './handler.js';
import { JsonRpcError, type JsonRpcErrorObject } from './jsonrpc-error.js';
import { classifyMessage, type JsonRpcId, type JsonRpcParams } from './message.js';
import type { MethodDescriptor } from './method-descriptor.js';
import { RequestTimeoutError } from './request-timeout-error.js';
import { checkTimeout } from './timeout-option.js';
import { WithFds, type withFds } from './with-fds.js';

/** Options of a {@link JsonRpcPeer}; the channel options apply when it is built from a Transport. */
export interface PeerOptions extends ChannelOptions {
  /** Handlers registered before the first message can arrive. */
  readonly handlers?: Readonly<Record<string, Handler>>;
  /**
   * Called for calls to methods without a handler (requests and notifications; `ctx.method` names the
   * method). Without it, such requests get -32601 and such notifications are dropped.
   */
  readonly fallback?: Handler;
  /**
   * Reading pauses while more than this many bytes of our responses wait to be written, so a peer
   * that sends requests without reading replies cannot make us buffer without bound. Default 8 MiB.
   */
  readonly highWaterMark?: number;
  /**
   * At most this many handlers run at once. Default 1024. Calls that arrive while all slots are busy
   * wait in a backlog (see {@link maxQueuedRequests}) and start in arrival order as slots free up.
   * Reading goes on meanwhile, so responses to our own requests are still processed: a handler that
   * calls back to the same peer and awaits the answer (symmetric RPC) cannot deadlock the connection.
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Most calls waiting for a handler slot. When the backlog is full, reading pauses until a slot frees
   * (the peer's writes then back up: memory stays bounded). While paused, responses are not read
   * either, so symmetric calls can still deadlock once more than `maxConcurrentRequests +
   * maxQueuedRequests` calls wait on answers from the other side. `0` pauses at the concurrency limit.
   * Default 1024.
   */
  readonly maxQueuedRequests?: number;
}

/** Options of one {@link JsonRpcPeer.request}. */
export interface RequestOptions {
  /**
   * Fds sent with the request, positionally. They are borrowed: keep them open until the request
   * settles (an aborted request that carries fds settles only once its write completed or failed).
   * Every entry must be an open `Fd` or an integer 0…2**31-1; otherwise the request rejects with
   * `InvalidFdError` (`FdClosedError` for a closed `Fd`) and nothing is sent.
   */
  readonly fds?: readonly FdLike[];
  /** Aborting rejects the request with the signal's reason; a late response is dropped (fds closed). */
  readonly signal?: AbortSignal;
  /**
   * Rejects with {@link RequestTimeoutError} when no response came within this many ms: a finite
   * number 0…2**31-1 (setTimeout's range), else the call throws a RangeError. `0` means no timeout,
   * like leaving it out.
   */
  readonly timeoutMs?: number;
}

/** Options of one {@link JsonRpcPeer.notify}. */
export interface NotifyOptions {
  /** Fds sent with the notification; borrowed until the returned promise settles. */
  readonly fds?: readonly FdLike[];
}

/** A successful response: the result and the fds that came with it, which now belong to the caller. */
export interface Response<R> {
  readonly result: R;
  readonly fds: Fd[];
}

/** Options of {@link JsonRpcPeer.close}. */
export interface CloseOptions {
  /** Aborting turns the graceful close into {@link JsonRpcPeer.destroy}. */
  readonly signal?: AbortSignal;
}

interface PendingRequest {
  readonly method: string;
  resolve(response: Response<unknown>): void;
  reject(error: unknown): void;
}

/** A call received while every handler slot was busy. */
interface QueuedCall {
  readonly id: JsonRpcId | undefined;
  readonly method: string;
  readonly params: JsonRpcParams | undefined;
  readonly fds: Fd[];
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

const DEFAULT_HIGH_WATER_MARK = 8 * 1024 * 1024;
const NO_FDS: readonly FdLike[] = Object.freeze([]);
const DEFAULT_MAX_CONCURRENT = 1024;
const DEFAULT_MAX_QUEUED = 1024;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function checkParams(params: unknown): asserts params is JsonRpcParams | undefined {
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    throw new InvalidArgumentError(`params must be an array, an object or undefined, not ${params === null ? 'null' : typeof params}`);
  }
}

/** The method name of a call; JavaScript callers can pass anything, and a non-string would be sent as is. */
function methodName(method: unknown): string {
  const name = typeof method === 'object' && method !== null ? (method as { name?: unknown }).name : method;
  if (typeof name !== 'string') throw new InvalidArgumentError(`method must be a string or a MethodDescriptor, not ${name === null ? 'null' : typeof name}`);
  return name;
}

/** `handler` if it is a function (or undefined when `optional`); registered, anything else would fail every call. */
function checkHandler<H extends Handler | undefined>(handler: H, optional: boolean): H {
  if (typeof handler === 'function' || (optional && handler === undefined)) return handler;
  throw new InvalidArgumentError(`a handler must be a function, not ${handler === null ? 'null' : typeof handler}`);
}

/**
 * The peer's own limits from `options`, with the handlers and fallback checked to be functions.
 * Throws InvalidArgumentError / ArgumentRangeError for the first bad one.
 */
function peerSettings(options: PeerOptions): { highWaterMark: number; maxConcurrent: number; maxQueued: number } {
  checkHandler(options.fallback, true);
  for (const handler of Object.values(options.handlers ?? {})) checkHandler(handler, false);
  return {
    highWaterMark: limitOption('highWaterMark', options.highWaterMark, DEFAULT_HIGH_WATER_MARK, 0),
    maxConcurrent: Math.max(1, limitOption('maxConcurrentRequests', options.maxConcurrentRequests, DEFAULT_MAX_CONCURRENT, 0)),
    maxQueued: limitOption('maxQueuedRequests', options.maxQueuedRequests, DEFAULT_MAX_QUEUED, 0),
  };
}

/**
 * Checks `options` as every peer built from a transport with them would, so that a server refuses bad
 * options when it starts rather than failing each connection. Throws like the constructor.
 * @internal
 */
export function checkPeerOptions(options: PeerOptions): void {
  peerSettings(options);
  channelLimits(options);
}

function errorObject(error: unknown): JsonRpcErrorObject {
  // A handler may throw anything: inspecting it must not throw in turn (a `message` getter that throws,
  // a revoked proxy), or the call would go unanswered and the failure escape as an unhandled rejection.
  try {
    if (error instanceof JsonRpcError) return error.toJSON();
    // Only the message crosses the wire: stacks and other fields may hold internals.
    const message: unknown = error instanceof Error ? error.message : undefined;
    return { code: ErrorCodes.InternalError, message: typeof message === 'string' && message !== '' ? message : 'Internal error' };
  } catch {
    return { code: ErrorCodes.InternalError, message: 'Internal error' };
  }
}

/**
 * One end of a jsonrpc-fdpass connection. Symmetric: it sends requests and notifications to the other
 * end ({@link request}, {@link notify}) and answers the other end's calls with registered handlers
 * ({@link handle}).
 *
 * Incoming messages are dispatched from I/O callbacks or microtasks, never synchronously inside the
 * constructor (not even reads handed over in `options.pending`), so handlers registered right after
 * construction see every call.
 *
 * fd ownership: fds passed to {@link request}/{@link notify} are borrowed until the call settles; fds of
 * a response belong to the caller; a handler's `ctx.fds` are closed when it settles unless taken; fds
 * returned with {@link withFds} are closed after the write unless `close: false`. Every received fd is
 * closed on every error path (invalid message, unknown method or id, error response, dead connection).
 */
export class JsonRpcPeer implements AsyncDisposable {
  readonly #channel: FdPassChannel;
  readonly #handlers = new Map<string, Handler>();
  #fallback: Handler | undefined;
  readonly #pending = new Map<number, PendingRequest>();
  #nextId = 1;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closeError: Error | undefined;
  #closing: Promise<void> | undefined;
  readonly #abort = new AbortController();
  readonly #whenClosed: Promise<Error | undefined>;
  #resolveClosed!: (error: Error | undefined) => void;
  readonly #closeListeners = new Set<(error: Error | undefined) => void>();
  // Handlers started and not yet finished (including the write of their response).
  #inFlight = 0;
  // Calls waiting for a handler slot, in arrival order (they own their fds).
  #backlog: QueuedCall[] = [];
  #draining = false;
  // Responses handed to the channel whose write has not completed yet.
  #unsentResponses = 0;
  #idleWaiters: Array<() => void> = [];
  #paused = false;
  readonly #highWaterMark: number;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;

  /** Builds a peer over a transport (wrapped in a new FdPassChannel) or over an unstarted channel. */
  constructor(source: Transport | FdPassChannel, options: PeerOptions = {}) {
    // Options are checked before the channel takes over the transport (and any pending reads' fds).
    const settings = peerSettings(options);
    this.#highWaterMark = settings.highWaterMark;
    this.#maxConcurrent = settings.maxConcurrent;
    this.#maxQueued = settings.maxQueued;
    this.#fallback = options.fallback;
    for (const [name, handler] of Object.entries(options.handlers ?? {})) this.#handlers.set(name, handler);
    this.#channel = source instanceof FdPassChannel ? source : new FdPassChannel(source, options);
    this.#whenClosed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#channel.start({
      message: (value, fds) => this.#onMessage(value, fds),
      close: (error) => this.#onClose(error),
      end: () => this.#onEnd(),
    });
  }

  /** True once the connection is closed. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Resolves when the connection closed, with the error that closed it (`undefined` when clean). */
  get whenClosed(): Promise<Error | undefined> {
    return this.#whenClosed;
  }

  /** Calls `listener` once when the connection closes (at once if it already has). Returns an unsubscribe. */
  onClose(listener: (error: Error | undefined) => void): () => void {
    if (this.#state === 'closed') {
      queueMicrotask(() => listener(this.#closeError));
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Credentials of the process on the other end, or `null` when the transport has none. */
  peerCredentials(): PeerCredentials | null {
    return this.#channel.peerCredentials();
  }

  /** Number of requests sent and not yet answered. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /**
   * Registers the handler of `method` (replacing any previous one). Returns a function that removes it.
   */
  handle<P, R>(method: MethodDescriptor<P, R>, handler: Handler<P, R>): () => void;
  handle(method: string, handler: Handler): () => void;
  handle(method: string | MethodDescriptor<unknown, unknown>, handler: Handler): () => void {
    // Checked here: registered, a bad name would never match and a non-function would fail every call.
    const name = methodName(method);
    checkHandler(handler, false);
    this.#handlers.set(name, handler);
    return () => {
      if (this.#handlers.get(name) === handler) this.#handlers.delete(name);
    };
  }

  /** Sets the handler for methods without their own (see {@link PeerOptions.fallback}). */
  setFallback(handler: Handler | undefined): void {
    this.#fallback = checkHandler(handler, true);
  }

  /**
   * Sends a request and resolves with its result and the fds that came with the response (owned by the
   * caller). Rejects with {@link JsonRpcError} when the peer answered with an error (fds that came with
   * an error response are closed), {@link ConnectionClosedError} when the connection closed first (its
   * `cause` is the reason), {@link RequestTimeoutError}, or the signal's reason.
   */
  request<P, R>(method: MethodDescriptor<P, R>, params: P, options?: RequestOptions): Promise<Response<R>>;
  request<R = unknown>(method: string, params?: JsonRpcParams, options?: RequestOptions): Promise<Response<R>>;
  request(
    method: string | MethodDescriptor<unknown, unknown>,
    params?: unknown,
    options: RequestOptions = {},
  ): Promise<Response<unknown>> {
    const fds = options.fds ?? NO_FDS;
    let name: string;
    let timeoutMs: number | undefined;
    try {
      name = methodName(method);
      timeoutMs = checkTimeout(options.timeoutMs);
      checkParams(params);
      // All fds are checked before the request gets an id: a bad one fails only this call, unsent.
      checkFds(fds);
      if (this.#state !== 'open') throw this.#closedError('peer is closed');
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextId++;
    const message: Record<string, unknown> = { jsonrpc: '2.0', method: name, id };
    if (params !== undefined) message['params'] = params;

    if (options.signal === undefined && timeoutMs === undefined) {
      // The common case: no abort or timer to clean up, so no wrappers around resolve/reject.
      return new Promise<Response<unknown>>((resolve, reject) => {
        this.#pending.set(id, { method: name, resolve, reject });
        const sending = this.#send(message, fds);
        if (sending === WRITTEN) this.#updateFlow();
        else {
          sending.then(
            () => this.#updateFlow(),
            (error: unknown) => {
              if (this.#pending.delete(id)) {
                reject(this.#channel.closed ? this.#closedError('connection closed before the request was sent', error) : error);
              }
            },
          );
        }
      });
    }

    return new Promise<Response<unknown>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let written = false;
      let sendSettled: Promise<unknown> = Promise.resolve();
      const { signal } = options;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      // Our own failure (abort, timeout, failed write): the entry goes at once so that a late response
      // is dropped, but fds we borrowed stay in use until the write settles.
      const fail = (error: unknown): void => {
        if (!this.#pending.delete(id)) return;
        cleanup();
        if (fds.length > 0 && !written) void sendSettled.then(() => reject(error));
        else reject(error);
      };
      const onAbort = (): void => fail(signal?.reason);
      this.#pending.set(id, {
        method: name,
        resolve: (response) => {
          cleanup();
          resolve(response);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => fail(new RequestTimeoutError(name, timeoutMs)), timeoutMs);
      sendSettled = this.#send(message, fds).then(
        () => {
          written = true;
          this.#updateFlow();
        },
        (error: unknown) => {
          written = true;
          fail(this.#channel.closed ? this.#closedError('connection closed before the request was sent', error) : error);
        },
      );
    });
  }

  /** Sends a notification (never answered). Resolves when written. */
  notify<P>(method: MethodDescriptor<P, unknown>, params: P, options?: NotifyOptions): Promise<void>;
  notify(method: string, params?: JsonRpcParams, options?: NotifyOptions): Promise<void>;
  async notify(
    method: string | MethodDescriptor<unknown, unknown>,
    params?: unknown,
    options: NotifyOptions = {},
  ): Promise<void> {
    const name = methodName(method);
    checkParams(params);
    const fds = options.fds ?? NO_FDS;
    checkFds(fds);
    if (this.#state !== 'open') throw this.#closedError('peer is closed');
    const message: Record<string, unknown> = { jsonrpc: '2.0', method: name };
    if (params !== undefined) message['params'] = params;
    try {
      await this.#channel.send(message, fds);
    } catch (error) {
      throw this.#channel.closed ? this.#closedError('connection closed before the notification was sent', error) : error;
    }
  }

  /**
   * Graceful close: refuses new calls (incoming ones are answered with an error), waits for running
   * handlers to answer, flushes, and closes. Requests we sent that are still unanswered then reject
   * with {@link ConnectionClosedError}.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing ??= this.#closeGracefully();
    const { signal } = options;
    if (signal) {
      const onAbort = (): void => this.destroy(signal.reason instanceof Error ? signal.reason : undefined);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        void this.#closing.finally(() => signal.removeEventListener('abort', onAbort));
      }
    }
    return this.#closing;
  }

  async #closeGracefully(): Promise<void> {
    this.#state = 'closing';
    if (this.#inFlight > 0 || this.#backlog.length > 0) {
      await Promise.race([new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), this.#whenClosed]);
    }
    if (!this.closed) {
      try {
        await this.#channel.close();
      } catch {
        // A failed flush still closes the channel; its close handler reports the reason.
      }
    }
    await this.#whenClosed;
  }

  /** Closes at once: pending requests reject, handler signals abort, unsent data is dropped. */
  destroy(error?: Error): void {
    this.#channel.destroy(error);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** {@link FdPassChannel.send}, with a synchronous throw (e.g. a custom transport's) turned into a rejection. */
  #send(message: object, fds: readonly FdLike[]): Promise<void> {
    try {
      return this.#channel.send(message, fds);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #closedError(message: string, cause?: unknown): ConnectionClosedError {
    const reason = cause ?? this.#closeError;
    return new ConnectionClosedError(message, reason === undefined ? undefined : { cause: reason });
  }

  #onClose(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeError = error;
    this.#abort.abort(this.#closedError('connection closed'));
    // Queued calls can no longer be answered.
    for (const call of this.#backlog.splice(0)) Fd.closeAll(call.fds);
    this.#rejectPending('connection closed');
    this.#resolveClosed(error);
    for (const listener of this.#closeListeners) {
      try {
        listener(error);
      } catch (listenerError) {
        queueMicrotask(() => {
          throw listenerError;
        });
      }
    }
    this.#closeListeners.clear();
  }

  /**
   * The other side finished sending. Our unanswered requests can never be answered; calls we are still
   * handling are answered before we close (a client may half-close after its last request).
   */
  #onEnd(): void {
    // Running handlers can still answer, but nobody will send more: stop work that watches the signal.
    this.#abort.abort(this.#closedError('peer finished sending'));
    this.#rejectPending('peer finished sending');
    void this.close();
  }

  /** Rejects every request still waiting for an answer: `${what} before "method" was answered`. */
  #rejectPending(what: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of pending) entry.reject(this.#closedError(`${what} before ${JSON.stringify(entry.method)} was answered`));
  }

  /** Removes and returns the request waiting for `id`; undefined when none does (unknown or aborted). */
  #takePending(id: JsonRpcId): PendingRequest | undefined {
    if (typeof id !== 'number') return undefined;
    const entry = this.#pending.get(id);
    if (entry !== undefined) this.#pending.delete(id);
    return entry;
  }

  #onMessage(value: unknown, fds: Fd[]): void {
    let handedOver = false;
    try {
      const message = classifyMessage(value);
      switch (message.kind) {
        case 'call':
          handedOver = true;
          this.#dispatch(message.id, message.method, message.params, fds);
          return;
        case 'result':
        case 'error': {
          const entry = this.#takePending(message.id);
          // A response nobody waits for (unknown id, or the request was aborted): drop it and its fds.
          if (entry === undefined) return;
          if (message.kind === 'result') {
            handedOver = true;
            entry.resolve({ result: message.result, fds });
          } else {
            entry.reject(JsonRpcError.fromObject(message.error));
          }
          return;
        }
        case 'bad-response':
          this.#takePending(message.id)?.reject(new JsonRpcError(ErrorCodes.InternalError, `invalid response from peer: ${message.reason}`));
          return;
        case 'invalid':
          this.#respond(message.id, { ok: false, error: new JsonRpcError(ErrorCodes.InvalidRequest, `Invalid Request: ${message.reason}`) });
          return;
      }
    } finally {
      if (!handedOver) Fd.closeAll(fds);
    }
  }

  #dispatch(id: JsonRpcId | undefined, method: string, params: JsonRpcParams | undefined, fds: Fd[]): void {
    if (this.#state !== 'open') {
      Fd.closeAll(fds);
      if (id !== undefined) this.#respond(id, { ok: false, error: new JsonRpcError(ErrorCodes.InternalError, 'peer is closing') });
      return;
    }
    // Calls queue behind earlier ones so that they start in arrival order.
    if (this.#backlog.length > 0 || this.#inFlight >= this.#maxConcurrent) {
      this.#backlog.push({ id, method, params, fds });
      this.#updateFlow();
      return;
    }
    this.#run(id, method, params, fds);
  }

  /** Runs the handler of a call that was accepted (directly or from the backlog). */
  #run(id: JsonRpcId | undefined, method: string, params: JsonRpcParams | undefined, fds: Fd[]): void {
    const handler = this.#handlers.get(method) ?? this.#fallback;
    if (handler === undefined) {
      Fd.closeAll(fds);
      if (id !== undefined) this.#respond(id, { ok: false, error: new JsonRpcError(ErrorCodes.MethodNotFound, `Method not found: ${method}`) });
      return;
    }
    this.#inFlight++;
    this.#updateFlow();
    const ctx: HandlerContext = { method, id, fds, peer: this, signal: this.#abort.signal };
    let returned: unknown;
    let thenable: boolean;
    try {
      returned = handler(params, ctx);
      thenable = isPromiseLike(returned); // a `then` getter may throw too
    } catch (error) {
      this.#finish(id, fds, { ok: false, error });
      return;
    }
    // Synchronous results are answered synchronously so that pipelined calls keep their order.
    if (thenable) {
      // Promise.resolve adopts a foreign thenable safely: a throwing then() becomes a rejection and
      // only its first settlement counts (a second one would answer twice and free the slot twice).
      // A native promise is returned as is, so the common async handler costs nothing extra.
      Promise.resolve(returned as PromiseLike<unknown>).then(
        (value) => this.#finish(id, fds, { ok: true, value }),
        (error: unknown) => this.#finish(id, fds, { ok: false, error }),
      );
    } else {
      this.#finish(id, fds, { ok: true, value: returned });
    }
  }

  #finish(id: JsonRpcId | undefined, fds: Fd[], outcome: Outcome): void {
    const attached = outcome.ok && outcome.value instanceof WithFds ? (outcome.value as WithFds<unknown>) : undefined;
    // Received fds the handler neither took nor returned go now; returned ones after the write.
    if (attached === undefined) Fd.closeAll(fds);
    else {
      // Returned by number (`fd.value`) counts too: closing it now would send a closed fd, or whatever
      // file reuses the number before the write.
      const outgoing = new Set<unknown>(attached.fds);
      for (const fd of fds) if (!fd.closed && !outgoing.has(fd) && !outgoing.has(fd.value)) fd.close();
    }
    if (id === undefined) {
      this.#answered(attached, fds, false);
      return;
    }
    const result: Outcome = attached ? { ok: true, value: attached.result } : outcome;
    const sent = this.#respond(id, result, attached?.fds);
    if (typeof sent === 'boolean') this.#answered(attached, fds, sent);
    else sent.then((ok) => this.#answered(attached, fds, ok));
  }

  /** A handler's call is over (its response written, or not sendable): release its slot and fds. */
  #answered(attached: WithFds<unknown> | undefined, fds: Fd[], sent: boolean): void {
    try {
      attached?.settle(sent);
    } catch {
      // settle() does not throw; should it ever, the slot below must still be released (a graceful
      // close would wait forever) and nothing may escape into the response write's promise chain.
    }
    Fd.closeAll(fds);
    this.#inFlight--;
    this.#drainBacklog();
    this.#updateFlow();
    if (this.#inFlight === 0 && this.#backlog.length === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Sends a response: `true` when written, `false` when it could not be, or a promise of that when the
   * write is still queued. Never rejects.
   */
  #respond(id: JsonRpcId, outcome: Outcome, fds: readonly FdLike[] = NO_FDS): boolean | Promise<boolean> {
    if (this.#state === 'closed') return false;
    const message: Record<string, unknown> = outcome.ok
      ? { jsonrpc: '2.0', id, result: outcome.value ?? null }
      : { jsonrpc: '2.0', id, error: errorObject(outcome.error) };
    this.#unsentResponses++;
    const sending = this.#send(message, fds);
    if (sending === WRITTEN) {
      this.#unsentResponses--;
      this.#updateFlow();
      return true;
    }
    return this.#respondLater(id, sending);
  }

  async #respondLater(id: JsonRpcId, sending: Promise<void>): Promise<boolean> {
    try {
      await sending;
      return true;
    } catch (error) {
      if (this.#channel.closed) return false;
      // The result could not be encoded (e.g. a BigInt or a cycle) or an fd was already closed:
      // the caller still deserves an answer.
      const detail = error instanceof Error ? error.message : String(error);
      try {
        await this.#channel.send({ jsonrpc: '2.0', id, error: { code: ErrorCodes.InternalError, message: `response could not be sent: ${detail}` } });
      } catch {
        // The connection died meanwhile.
      }
      return false;
    } finally {
      this.#unsentResponses--;
      this.#updateFlow();
    }
  }

  /** Starts queued calls while slots are free (a loop, not recursion: handlers may finish synchronously). */
  #drainBacklog(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#state !== 'closed' && this.#backlog.length > 0 && this.#inFlight < this.#maxConcurrent) {
        const call = this.#backlog.shift()!;
        this.#run(call.id, call.method, call.params, call.fds);
      }
    } finally {
      this.#draining = false;
    }
  }

  #updateFlow(): void {
    if (this.#state === 'closed') return;
    // Only a full backlog of calls or of our own responses pauses reading: pausing for running
    // handlers or for our requests could stop us from reading the very responses they wait for.
    const over =
      (this.#inFlight >= this.#maxConcurrent && this.#backlog.length >= this.#maxQueued) ||
      (this.#unsentResponses > 0 && this.#channel.writableLength > this.#highWaterMark);
    if (over && !this.#paused) {
      this.#paused = true;
      this.#channel.pause();
    } else if (!over && this.#paused) {
      this.#paused = false;
      this.#channel.resume();
    }
  }
}
