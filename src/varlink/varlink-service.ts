import { WithFds } from '../jsonrpc/with-fds.js';
import type { Fd, FdLike } from '../transport/fd.js';
import { checkFdPassUpgradeMethod, isFdPassUpgradeHandler } from './fdpass-upgrade-service.js';
import type { PeerCredentials, Transport } from '../transport/transport.js';
import type { VarlinkInterface, VarlinkMethod } from './idl/idl-types.js';
import { ORG_VARLINK_SERVICE_IDL } from './idl/org-varlink-service-idl.js';
import { parseInterface } from './idl/parse-interface.js';
import { checkParameters } from './idl/validate.js';
import { ServiceConnection, type CallResponder } from './service-connection.js';
import { invalidParameter, VarlinkStandardError } from './standard-errors.js';
import type { VarlinkDetached, VarlinkFdPassing } from './varlink-connection.js';
import { VarlinkError } from './varlink-error.js';
import type { VarlinkParameters } from './varlink-message.js';
import { VarlinkUsageError } from './varlink-usage-error.js';
import {
  listenVarlink,
  listenVarlinkActivated,
  type VarlinkListenAddress,
  type VarlinkListenOptions,
  type VarlinkServer,
} from './varlink-server.js';

/** What `org.varlink.service.GetInfo` reports. */
export interface VarlinkServiceInfo {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
  readonly url: string;
}

/** Options of a {@link VarlinkService}. */
export interface VarlinkServiceOptions extends VarlinkServiceInfo {
  /**
   * Told about handler failures that are not {@link VarlinkError}s and about replies that do not match
   * the IDL; the caller gets {@link VARLINK_INTERNAL_ERROR} instead. Default: ignore.
   */
  readonly onError?: (err: Error, method: string) => void;
}

/** Options of one served connection. */
export interface VarlinkServeOptions {
  /** fd passing, per direction; `true` for both. Default: off (fds from a client close its connection). */
  readonly fds?: VarlinkFdPassing;
  /** Largest call accepted, in bytes (16 MiB by default). */
  readonly maxMessageSize?: number;
  /** Aborting closes the connection (replies already queued are flushed first). */
  readonly signal?: AbortSignal;
}

/**
 * The error sent when a handler fails with something other than a {@link VarlinkError}, or produces
 * a reply that does not match its IDL. Varlink defines no generic error for this, so it is ours.
 */
export const VARLINK_INTERNAL_ERROR = 'io.github.jsonrpc-fdpass.InternalError';

/** What a method handler learns about its call. */
export interface VarlinkCallContext {
  /** The fully-qualified method name. */
  readonly method: string;
  /**
   * fds that came with the call, referred to by index in the parameters. `take()` what you keep; the
   * rest are closed when the handler settles.
   */
  readonly fds: readonly Fd[];
  /** The call asked for `more`: yield (or {@link reply}) any number of `continues` replies. */
  readonly more: boolean;
  /** The call is `oneway`: whatever the handler returns or throws is dropped. */
  readonly oneway: boolean;
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal;
  /** Credentials of the client process (Unix sockets only). */
  readonly peerCredentials: PeerCredentials | null;
  /**
   * Sends one `continues` reply now (only with {@link more}); checked against the IDL. The handler's
   * return value is still the final reply.
   */
  reply(parameters: VarlinkParameters, fds?: readonly FdLike[]): Promise<void>;
  /**
   * Present only when the call set `upgrade`: sends the confirming reply and hands over the
   * connection (the transport, and bytes and fds the client sent after the call). The handler then
   * owns it; its return value is ignored. Throwing a {@link VarlinkError} instead refuses the
   * upgrade and the connection stays Varlink.
   */
  readonly upgrade?: (parameters?: VarlinkParameters, fds?: readonly FdLike[]) => VarlinkDetached;
}

/** A reply: parameters, parameters with fds (`withFds(params, fds)`), or nothing for `()`. */
export type VarlinkHandlerReply = VarlinkParameters | WithFds<VarlinkParameters> | undefined | void;

/**
 * Implements one method. Return (or resolve) the reply. For `more` methods an async generator works
 * too: every `yield` is a `continues` reply, sent at once, and the generator's `return` value is the
 * last reply. Called without `more`, a generator's first value is the only reply. Throw a
 * {@link VarlinkError} for an error reply.
 */
export type VarlinkMethodHandler = (
  parameters: VarlinkParameters,
  ctx: VarlinkCallContext,
) => VarlinkHandlerReply | Promise<VarlinkHandlerReply> | AsyncIterator<VarlinkHandlerReply, VarlinkHandlerReply>;

/** Handlers of one interface, by short method name. */
export type VarlinkInterfaceHandlers = Readonly<Record<string, VarlinkMethodHandler>>;

interface RegisteredInterface {
  readonly iface: VarlinkInterface;
  readonly description: string;
  readonly handlers: VarlinkInterfaceHandlers;
}

/**
 * A Varlink service: interfaces from IDL text plus handlers, `org.varlink.service` built in.
 * Parameters are checked against the IDL before a handler runs (`InvalidParameter` names the field),
 * and replies after it returns. Serve it on any {@link Transport} with {@link serve}, or on an
 * address with `listenVarlink` (see `varlink-server.ts`).
 */
export class VarlinkService {
  readonly #info: VarlinkServiceInfo;
  readonly #onError: ((err: Error, method: string) => void) | undefined;
  readonly #interfaces = new Map<string, RegisteredInterface>();
  readonly #connections = new Set<ServiceConnection>();
  #hasUpgradeMethods = false;

  constructor(options: VarlinkServiceOptions) {
    this.#info = { vendor: options.vendor, product: options.product, version: options.version, url: options.url };
    this.#onError = options.onError;
    const self = parseInterface(ORG_VARLINK_SERVICE_IDL);
    this.#interfaces.set(self.name, {
      iface: self,
      description: ORG_VARLINK_SERVICE_IDL,
      handlers: {
        GetInfo: () => ({ ...this.#info, interfaces: [...this.#interfaces.keys()] }),
        GetInterfaceDescription: (params) => {
          const name = params['interface'] as string;
          const found = this.#interfaces.get(name);
          if (found === undefined) throw new VarlinkError(VarlinkStandardError.InterfaceNotFound, { interface: name });
          return { description: found.description };
        },
      },
    });
  }

  /** Names of the implemented interfaces, `org.varlink.service` first. */
  get interfaces(): string[] {
    return [...this.#interfaces.keys()];
  }

  /**
   * Adds an interface from its IDL text (returned verbatim, comments included, by
   * `GetInterfaceDescription`) and handlers by short method name. Declared methods without a handler
   * answer `MethodNotImplemented`.
   * @throws VarlinkIdlError for invalid IDL; {@link VarlinkUsageError} for a duplicate interface, a
   *   handler the IDL does not declare, or an `fdPassUpgrade` method whose IDL does not fit it.
   */
  addInterface(idl: string, handlers: VarlinkInterfaceHandlers): this {
    const iface = parseInterface(idl);
    if (this.#interfaces.has(iface.name)) throw new VarlinkUsageError(`interface ${iface.name} is already added`);
    for (const [name, handler] of Object.entries(handlers)) {
      const method = iface.methods.get(name);
      if (method === undefined) throw new VarlinkUsageError(`${iface.name} declares no method ${name}`);
      if (isFdPassUpgradeHandler(handler)) checkFdPassUpgradeMethod(iface, method);
    }
    for (const m of iface.methods.values()) if (m.upgrade !== undefined) this.#hasUpgradeMethods = true;
    this.#interfaces.set(iface.name, { iface, description: idl, handlers });
    return this;
  }

  /**
   * Serves one connection on `transport` (which it takes over). Resolves when the connection is
   * closed or handed over by an upgrade.
   */
  serve(transport: Transport, options: VarlinkServeOptions = {}): Promise<void> {
    const { signal, ...connectionOptions } = options;
    const conn = new ServiceConnection(transport, (r) => this.#dispatch(r), {
      ...connectionOptions,
      // Services that upgrade must never read a client's next-protocol bytes together with the call.
      boundedReads: this.#hasUpgradeMethods,
    });
    this.#connections.add(conn);
    const onAbort = (): void => void conn.close().catch(() => undefined);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return conn.done.finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.#connections.delete(conn);
    });
  }

  /**
   * Listens on `unix:/path`, `unix:@abstract`, `tcp:host:port`, or `{ fd }` (a listening socket, or a
   * connected one served as the only connection).
   */
  listen(address: VarlinkListenAddress, options?: VarlinkListenOptions): Promise<VarlinkServer> {
    return listenVarlink(this, address, options);
  }

  /**
   * Listens on the socket passed by socket activation (`LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES`),
   * or resolves `undefined` when this process was not socket-activated.
   */
  listenActivated(options?: VarlinkListenOptions): Promise<VarlinkServer | undefined> {
    return listenVarlinkActivated(this, options);
  }

  /** Closes every served connection (replies already queued are flushed). */
  async closeConnections(): Promise<void> {
    await Promise.all([...this.#connections].map((c) => c.close().catch(() => undefined)));
  }

  async #dispatch(r: CallResponder): Promise<void> {
    const { call } = r;
    let target: { reg: RegisteredInterface; method: VarlinkMethod; handler: VarlinkMethodHandler };
    try {
      target = this.#resolve(call.method, call.more, call.upgrade);
      // Decimal strings accepted for `int` become numbers (bigint beyond 2^53), as sd-varlink converts
      // them: a handler must never see "1" where its IDL says int ("1" + 2 is "12").
      const bad = checkParameters(target.reg.iface, target.method.input, call.parameters, { convertIntStrings: true });
      if (bad !== undefined) throw invalidParameter(bad.parameter || bad.field);
    } catch (err) {
      await this.#sendError(r, err as Error);
      return;
    }
    const { reg, method, handler } = target;
    const checkReply = (params: VarlinkParameters): void => {
      const bad = checkParameters(reg.iface, method.output, params);
      if (bad !== undefined) throw new InvalidReplyError(`reply of ${call.method} does not match the IDL: ${bad.message}`);
    };
    // The handler handed the connection over: what it returns or throws then has nobody to go to.
    let upgraded = false;
    const ctx: VarlinkCallContext = {
      method: call.method,
      fds: r.fds,
      more: call.more,
      oneway: call.oneway,
      signal: r.signal,
      peerCredentials: r.peerCredentials(),
      reply: async (parameters, fds) => {
        checkReply(parameters);
        await r.reply(parameters, { continues: true, ...(fds ? { fds } : {}) });
      },
      ...(call.upgrade
        ? {
            upgrade: (parameters: VarlinkParameters = {}, fds?: readonly FdLike[]) => {
              checkReply(parameters);
              const detached = r.upgrade(parameters, fds);
              upgraded = true;
              return detached;
            },
          }
        : {}),
    };
    try {
      const result = handler(call.parameters, ctx);
      if (isAsyncIterator(result)) {
        await this.#iterate(r, result, checkReply);
      } else {
        const final = await result;
        if (upgraded) {
          settle(final, false);
          return;
        }
        await this.#sendFinal(r, final, checkReply);
      }
    } catch (err) {
      if (upgraded) return;
      // Handlers may throw anything; onError is promised an Error.
      await this.#sendError(r, err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #iterate(
    r: CallResponder,
    it: AsyncIterator<VarlinkHandlerReply, VarlinkHandlerReply>,
    checkReply: (params: VarlinkParameters) => void,
  ): Promise<void> {
    let finished = false;
    try {
      for (;;) {
        const step = await it.next();
        if (step.done === true) {
          finished = true;
          await this.#sendFinal(r, step.value, checkReply);
          return;
        }
        if (!r.call.more) {
          await this.#sendFinal(r, step.value, checkReply);
          return;
        }
        const { parameters, fds } = unpack(step.value);
        try {
          checkReply(parameters);
          await r.reply(parameters, { continues: true, fds });
          settle(step.value, true);
        } catch (err) {
          settle(step.value, false);
          throw err;
        }
      }
    } finally {
      // Stopped early (no more, connection gone, bad reply): let the generator clean up.
      if (!finished) await it.return?.(undefined)?.catch(() => undefined);
    }
  }

  async #sendFinal(r: CallResponder, result: VarlinkHandlerReply, checkReply: (p: VarlinkParameters) => void): Promise<void> {
    const { parameters, fds } = unpack(result);
    try {
      checkReply(parameters);
      await r.reply(parameters, { fds });
      settle(result, true);
    } catch (err) {
      settle(result, false);
      throw err;
    }
  }

  async #sendError(r: CallResponder, err: Error): Promise<void> {
    if (r.signal.aborted) return; // the connection is gone: nobody to tell
    let failure = err;
    if (err instanceof VarlinkError) {
      try {
        await r.error(err);
        return;
      } catch (sendErr) {
        // Sent, or the connection is gone, or already answered: nothing more to say. Otherwise its
        // parameters could not be encoded and nothing went out: the internal error still answers it.
        if (r.answered || r.signal.aborted) return;
        failure = sendErr as Error;
      }
    }
    try {
      this.#onError?.(failure, r.call.method);
    } catch {
      /* a failing observer must not cost the caller its reply */
    }
    // Has no parameters, so it can always be encoded: every call gets exactly one reply.
    await r.error(new VarlinkError(VARLINK_INTERNAL_ERROR, {})).catch(() => undefined);
  }

  #resolve(
    qualified: string,
    more: boolean,
    upgrade: boolean,
  ): { reg: RegisteredInterface; method: VarlinkMethod; handler: VarlinkMethodHandler } {
    const dot = qualified.lastIndexOf('.');
    if (dot <= 0) throw new VarlinkError(VarlinkStandardError.MethodNotFound, { method: qualified });
    const ifaceName = qualified.slice(0, dot);
    const reg = this.#interfaces.get(ifaceName);
    if (reg === undefined) throw new VarlinkError(VarlinkStandardError.InterfaceNotFound, { interface: ifaceName });
    const method = reg.iface.methods.get(qualified.slice(dot + 1));
    if (method === undefined) throw new VarlinkError(VarlinkStandardError.MethodNotFound, { method: qualified });
    if (method.more === 'required' && !more) throw new VarlinkError(VarlinkStandardError.ExpectedMore);
    if (method.upgrade === 'required' && !upgrade) throw new VarlinkError(VarlinkStandardError.ExpectedUpgrade);
    const handler = reg.handlers[method.name];
    if (handler === undefined) throw new VarlinkError(VarlinkStandardError.MethodNotImplemented, { method: qualified });
    return { reg, method, handler };
  }
}

/** A handler produced a reply its IDL does not allow (reported through `onError`). */
export class InvalidReplyError extends Error {
  override readonly name = 'InvalidReplyError';
  readonly code = 'ERR_VARLINK_INVALID_REPLY';
}

function unpack(result: VarlinkHandlerReply): { parameters: VarlinkParameters; fds: readonly FdLike[] } {
  if (result instanceof WithFds) return { parameters: (result.result as VarlinkParameters | undefined) ?? {}, fds: result.fds };
  return { parameters: result ?? {}, fds: [] };
}

/**
 * Closes the fds of a `withFds` reply once it went out (or could not). Never throws: it runs on the
 * path that sends the call's one reply, and a throw there (an fd number that is not an fd) would skip
 * the fallback error reply and leave the client waiting.
 */
function settle(result: VarlinkHandlerReply, sent: boolean): void {
  if (!(result instanceof WithFds)) return;
  try {
    result.settle(sent);
  } catch {
    /* an fd that cannot be closed is not one we could have sent either */
  }
}

function isAsyncIterator(v: unknown): v is AsyncIterator<VarlinkHandlerReply, VarlinkHandlerReply> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof WithFds) &&
    typeof (v as { next?: unknown }).next === 'function' &&
    Symbol.asyncIterator in v
  );
}
