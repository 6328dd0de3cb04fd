import { ConnectionClosedError } from '../jsonrpc/connection-closed-error.js';
import type { JsonRpcPeer, PeerOptions } from '../jsonrpc/peer.js';
import { RequestTimeoutError } from '../jsonrpc/request-timeout-error.js';
import { checkTimeout } from '../jsonrpc/timeout-option.js';
import { Fd, type FdLike } from '../transport/fd.js';
import { FdPassUpgradeError } from './fdpass-upgrade-error.js';
import {
  availableFdPassCodecs,
  FDPASS_CODECS_PARAMETER,
  FDPASS_DEFAULT_CODEC,
  FDPASS_PROTOCOL,
  fdPassPeer,
  isFdPassCodec,
  releaseDetached,
  type FdPassCodec,
} from './fdpass-upgrade-protocol.js';
import { UpgradeNotSupportedError } from './upgrade-not-supported-error.js';
import type { VarlinkClient, VarlinkUpgradeResult } from './varlink-client.js';
import type { VarlinkParameters } from './varlink-message.js';
import { VarlinkUsageError } from './varlink-usage-error.js';

/** Options of {@link VarlinkClient.upgradeToFdPass}. */
export interface FdPassUpgradeOptions {
  /** Varlink fds sent with the upgrade call (the client must enable sending fds). */
  readonly fds?: readonly FdLike[];
  /**
   * Codecs offered, most preferred first, sent as the `codecs` parameter (the method's IDL must then
   * declare `codecs: ?[]string`). Default: none sent, which means JSON. Each must be one this process
   * speaks: `"json"`, or `"msgpack"` when `msgpackr` is installed (see `availableFdPassCodecs()`);
   * `["msgpack", "json"]` asks for msgpack and settles for JSON with a service that lacks it.
   */
  readonly codecs?: readonly string[];
  /**
   * Aborting before the reply closes the Varlink connection (what the service does with the call is
   * then unknown, and nothing may be sent before its reply) and rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
  /** Like an abort after this many ms, rejecting with `RequestTimeoutError`. */
  readonly timeoutMs?: number;
  /**
   * Options of the JsonRpcPeer built on the upgraded connection (handlers, limits, …). The service may
   * call us as soon as it confirmed, before the returned promise settles: handlers for such calls go
   * in `peer.handlers`; ones registered later with `handle()` miss them (they get -32601).
   */
  readonly peer?: Omit<PeerOptions, 'pending' | 'codec'>;
}

/** Errors meaning the service went away without answering: EOF, or a reset. */
function closedByService(err: unknown): boolean {
  if (!(err instanceof ConnectionClosedError)) return false;
  const cause: unknown = err.cause;
  if (cause instanceof ConnectionClosedError) return true; // EOF while the call waited
  const code = (cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Closes a confirmed upgrade's connection that will not become a peer, with every fd it received. */
function releaseUpgrade(result: VarlinkUpgradeResult, err: Error): void {
  Fd.closeAll(result.fds);
  releaseDetached(result, err);
}

/**
 * The upgrade into jsonrpc-fdpass, client side; see {@link VarlinkClient.upgradeToFdPass}.
 * @internal
 */
export async function upgradeClientToFdPass(
  client: VarlinkClient,
  method: string,
  parameters: VarlinkParameters | undefined,
  options: FdPassUpgradeOptions,
): Promise<JsonRpcPeer> {
  const { signal, codecs } = options;
  const timeoutMs = checkTimeout(options.timeoutMs);
  signal?.throwIfAborted();
  let accepted: readonly FdPassCodec[] = [FDPASS_DEFAULT_CODEC];
  let callParameters = parameters;
  if (codecs !== undefined) {
    // Offering a codec we cannot speak would let the service pick it: refuse before sending anything.
    const speaks = availableFdPassCodecs();
    const unknown = codecs.filter((codec) => !(speaks as readonly string[]).includes(codec));
    if (codecs.length === 0 || unknown.length > 0) {
      const why = unknown.includes('msgpack') ? ' ("msgpack" needs the optional dependency msgpackr)' : '';
      throw new VarlinkUsageError(`codecs must be a non-empty list of ${speaks.map((c) => `"${c}"`).join(', ')}; cannot speak ${JSON.stringify(unknown)}${why}`);
    }
    accepted = codecs.filter(isFdPassCodec);
    callParameters = { ...parameters, [FDPASS_CODECS_PARAMETER]: [...codecs] };
  }

  // Giving up before the reply cannot leave a usable Varlink connection behind: the service may still
  // confirm, and the client may not send anything until it knows. So giving up closes it.
  let stopped: Error | undefined;
  const stop = (reason: Error): void => {
    if (stopped !== undefined) return;
    stopped = reason;
    client.destroy(reason);
  };
  const onAbort = (): void => stop(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop(new RequestTimeoutError(method, timeoutMs)), timeoutMs);

  let result: VarlinkUpgradeResult;
  try {
    result = await client.upgrade(method, callParameters, options.fds ? { fds: options.fds } : {});
  } catch (err) {
    if (stopped !== undefined) throw stopped;
    if (closedByService(err)) throw new UpgradeNotSupportedError(method, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (stopped !== undefined) {
    // The reply won the race against the abort by a microtask; the caller has already given up.
    releaseUpgrade(result, stopped);
    throw stopped;
  }

  const reply = result.parameters;
  let violation: FdPassUpgradeError | undefined;
  const named = reply['codec'] ?? FDPASS_DEFAULT_CODEC;
  const codec = accepted.find((c) => c === named);
  if (result.fds.length > 0) {
    violation = new FdPassUpgradeError('fds', `the reply confirming ${method} carried ${result.fds.length} fds`);
  } else if (reply['protocol'] !== FDPASS_PROTOCOL) {
    violation = new FdPassUpgradeError(
      'protocol',
      `${method} upgraded to ${JSON.stringify(reply['protocol'] ?? null)}, not "${FDPASS_PROTOCOL}"`,
    );
  }
  if (violation !== undefined || codec === undefined) {
    violation ??= new FdPassUpgradeError('codec', `${method} chose codec ${JSON.stringify(named)}, which was not offered`);
    releaseUpgrade(result, violation);
    throw violation;
  }
  return fdPassPeer(result, codec, options.peer);
}
