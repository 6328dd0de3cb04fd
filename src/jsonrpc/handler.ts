import type { Fd } from '../transport/fd.js';
import type { JsonRpcId } from './message.js';
import type { JsonRpcPeer } from './peer.js';
import type { WithFds } from './with-fds.js';

/** What a handler gets besides the params. */
export interface HandlerContext {
  /** The method that was called. */
  readonly method: string;
  /** The request id; `undefined` for a notification (which is never answered). */
  readonly id: JsonRpcId | undefined;
  /**
   * The fds that came with the call, positionally. They belong to the library: call `take()` on the
   * ones to keep; the rest are closed once the handler settled (fds returned with `withFds` once the
   * response was written).
   */
  readonly fds: Fd[];
  /** The connection the call came from; may be used to call back. */
  readonly peer: JsonRpcPeer;
  /**
   * Aborts when the connection dies or the other side finished sending (EOF; a half-closed client can
   * still read the answer, so a handler that completes anyway is still answered).
   */
  readonly signal: AbortSignal;
}

/**
 * A method implementation. Its return value (or resolution) is the result; `undefined` is sent as
 * `null`. Return {@link withFds} to attach fds. Throw a `JsonRpcError` to answer with its code, message
 * and data; any other throw is answered with -32603 and the error's message.
 */
export type Handler<P = unknown, R = unknown> = (
  params: P,
  ctx: HandlerContext,
) => R | WithFds<R> | PromiseLike<R | WithFds<R>>;
