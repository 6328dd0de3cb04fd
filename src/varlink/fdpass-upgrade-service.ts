import type { JsonRpcPeer, PeerOptions } from '../jsonrpc/peer.js';
import type { VarlinkInterface, VarlinkMethod, VarlinkType } from './idl/idl-types.js';
import { MsgpackUnavailableError } from '../codec/msgpack-unavailable-error.js';
import {
  availableFdPassCodecs,
  chooseFdPassCodec,
  FDPASS_CODECS_PARAMETER,
  FDPASS_PROTOCOL,
  fdPassPeer,
  type FdPassCodec,
  type FdPassUpgradeReply,
} from './fdpass-upgrade-protocol.js';
import { VarlinkStandardError } from './standard-errors.js';
import { VarlinkError } from './varlink-error.js';
import type { VarlinkParameters } from './varlink-message.js';
import type { VarlinkCallContext, VarlinkMethodHandler } from './varlink-service.js';
import { VarlinkUsageError } from './varlink-usage-error.js';

/** What an upgrade handler learns about its call: the Varlink context, and the codec chosen. */
export interface FdPassUpgradeContext extends Omit<VarlinkCallContext, 'upgrade' | 'reply' | 'more' | 'oneway'> {
  /** The codec the connection will speak (from the call's `codecs`, or the default). */
  readonly codec: FdPassCodec;
}

/**
 * Sets up the JSON-RPC side of an accepted upgrade. It runs right after the peer is built, before any
 * message is dispatched, so handlers registered synchronously here see every call (bytes the client
 * sent early included). If it throws, or is async and its promise rejects, the peer is closed.
 */
export type FdPassAcceptor = (peer: JsonRpcPeer) => void;

/**
 * Decides about one upgrade call. Throw a {@link VarlinkError} to refuse (the error is the reply and
 * the connection stays Varlink); return an {@link FdPassAcceptor} to accept.
 */
export type FdPassUpgradeHandler = (
  parameters: VarlinkParameters,
  ctx: FdPassUpgradeContext,
) => FdPassAcceptor | Promise<FdPassAcceptor>;

/** Options of {@link fdPassUpgrade}. */
export interface FdPassUpgradeServiceOptions {
  /** Options of every JsonRpcPeer built (handlers, fallback, limits); the codec is the negotiated one. */
  readonly peer?: Omit<PeerOptions, 'pending' | 'codec'>;
  /**
   * The codecs this method agrees to, in any order (the client's preference decides among them).
   * Default: every codec this process speaks — `"json"`, and `"msgpack"` when `msgpackr` is installed.
   * Naming `"msgpack"` without `msgpackr` throws {@link MsgpackUnavailableError} here.
   */
  readonly codecs?: readonly FdPassCodec[];
  /** Told when an acceptor throws; the peer is then closed (after the confirming reply went out). */
  readonly onError?: (err: Error, method: string) => void;
}

const FDPASS_UPGRADE_METHOD = Symbol('jsonrpc-fdpass upgrade method');

/**
 * Makes a Varlink method an upgrade into jsonrpc-fdpass. Its IDL must carry
 * `# [Requires 'upgrade' flag]`, return `(protocol: string, codec: string)` (more output fields only if
 * nullable), and may take `codecs: ?[]string`; `VarlinkService.addInterface` checks this.
 *
 * ```ts
 * service.addInterface(idl, {
 *   Connect: fdPassUpgrade((params, ctx) => {
 *     if (!allowed(ctx.peerCredentials)) throw permissionDenied();
 *     return (peer) => peer.handle('ping', () => 'pong');
 *   }),
 * });
 * ```
 */
export function fdPassUpgrade(handler: FdPassUpgradeHandler, options: FdPassUpgradeServiceOptions = {}): VarlinkMethodHandler {
  const available = availableFdPassCodecs();
  const speaks = options.codecs === undefined ? available : [...new Set(options.codecs)];
  // A misconfiguration found now rather than on the first client that asks for msgpack.
  if (speaks.some((codec) => !available.includes(codec))) throw new MsgpackUnavailableError();
  const method: VarlinkMethodHandler = async (parameters, ctx) => {
    const upgrade = ctx.upgrade;
    if (upgrade === undefined) throw new VarlinkError(VarlinkStandardError.ExpectedUpgrade);
    const codec = chooseFdPassCodec(parameters[FDPASS_CODECS_PARAMETER], speaks);
    const accept = await handler(parameters, {
      method: ctx.method,
      fds: ctx.fds,
      signal: ctx.signal,
      peerCredentials: ctx.peerCredentials,
      codec,
    });
    if (typeof accept !== 'function') throw new TypeError(`the upgrade handler of ${ctx.method} returned no acceptor`);
    // The client went away while the handler ran: there is no connection left to upgrade.
    if (ctx.signal.aborted) return;
    const reply: FdPassUpgradeReply = { protocol: FDPASS_PROTOCOL, codec };
    const detached = upgrade({ ...reply });
    const peer = fdPassPeer(detached, codec, options.peer);
    const failed = (err: unknown): void => {
      try {
        options.onError?.(err instanceof Error ? err : new Error(String(err)), ctx.method);
      } catch {
        /* a failing observer must neither keep the peer open nor become an unhandled rejection */
      }
      // Graceful, so the confirming reply still queued ahead of us reaches the client.
      void peer.close();
    };
    try {
      const result: unknown = accept(peer);
      // `=> void` lets an async function through; its rejection would otherwise be unhandled, which
      // ends the process.
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, failed);
      }
    } catch (err) {
      failed(err);
    }
  };
  Object.defineProperty(method, FDPASS_UPGRADE_METHOD, { value: true });
  return method;
}

/** True for handlers made by {@link fdPassUpgrade}. */
export function isFdPassUpgradeHandler(handler: VarlinkMethodHandler): boolean {
  return Object.hasOwn(handler, FDPASS_UPGRADE_METHOD);
}

/**
 * Checks that `method` can be served by {@link fdPassUpgrade}.
 * @throws {VarlinkUsageError} naming what the IDL lacks.
 * @internal
 */
export function checkFdPassUpgradeMethod(iface: VarlinkInterface, method: VarlinkMethod): void {
  const where = `${iface.name}.${method.name}`;
  if (method.upgrade !== 'required') {
    throw new VarlinkUsageError(`${where} upgrades to jsonrpc-fdpass, so its IDL must say # [Requires 'upgrade' flag]`);
  }
  const output = new Map(method.output.fields.map((f) => [f.name, f.type]));
  for (const name of ['protocol', 'codec']) {
    if (output.get(name)?.kind !== 'string') throw new VarlinkUsageError(`${where} must return ${name}: string`);
  }
  for (const field of method.output.fields) {
    if (field.name !== 'protocol' && field.name !== 'codec' && field.type.kind !== 'nullable') {
      throw new VarlinkUsageError(`${where} returns ${field.name}, which the upgrade reply cannot fill: make it nullable`);
    }
  }
  const codecs = method.input.fields.find((f) => f.name === FDPASS_CODECS_PARAMETER);
  if (codecs !== undefined && !isOptionalStringArray(codecs.type)) {
    throw new VarlinkUsageError(`${where} must declare ${FDPASS_CODECS_PARAMETER}: ?[]string`);
  }
}

function isOptionalStringArray(type: VarlinkType): boolean {
  return type.kind === 'nullable' && type.type.kind === 'array' && type.type.element.kind === 'string';
}
