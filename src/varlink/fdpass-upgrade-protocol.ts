import { isMsgpackAvailable, msgpackCodec } from '../codec/msgpack-codec.js';
import { JsonRpcPeer, type PeerOptions } from '../jsonrpc/peer.js';
import { Fd } from '../transport/fd.js';
import type { VarlinkDetached } from './varlink-connection.js';
import { VarlinkError } from './varlink-error.js';

/**
 * The parameters of an upgrade into jsonrpc-fdpass, shared by client and service (see
 * `spec/varlink-upgrade.md`).
 */

/** The `protocol` the confirming reply names. */
export const FDPASS_PROTOCOL = 'jsonrpc-fdpass';

/** A codec of the upgraded connection: JSON (`spec/jsonrpc-fdpass.md`) or msgpack (`spec/msgpack.md`). */
export type FdPassCodec = 'json' | 'msgpack';

/**
 * The codecs this implementation knows, in our order of preference. `"msgpack"` is spoken only when the
 * optional dependency `msgpackr` is installed: see {@link availableFdPassCodecs}.
 */
export const FDPASS_CODECS: readonly FdPassCodec[] = ['json', 'msgpack'];

/** The codec used when the call does not offer any. */
export const FDPASS_DEFAULT_CODEC: FdPassCodec = 'json';

/** The error a service answers when none of the offered codecs is one it speaks. */
export const FDPASS_UNSUPPORTED_CODEC_ERROR = 'io.github.jsonrpc-fdpass.UnsupportedCodec';

/** Input parameter: the codecs the client accepts, most preferred first (`?[]string`). */
export const FDPASS_CODECS_PARAMETER = 'codecs';

/** The confirming reply's parameters. */
export interface FdPassUpgradeReply {
  readonly protocol: typeof FDPASS_PROTOCOL;
  readonly codec: FdPassCodec;
}

/** True for a codec name this implementation knows (whether or not it can speak it here). */
export function isFdPassCodec(value: unknown): value is FdPassCodec {
  return typeof value === 'string' && (FDPASS_CODECS as readonly string[]).includes(value);
}

/** The codecs this process can speak: JSON always, msgpack when `msgpackr` loads. */
export function availableFdPassCodecs(): FdPassCodec[] {
  return FDPASS_CODECS.filter((codec) => codec !== 'msgpack' || isMsgpackAvailable());
}

/**
 * The JsonRpcPeer on a connection handed over by a confirmed upgrade: it speaks `codec` and reads
 * `detached.pending` first. Nobody else holds the connection, so when the peer cannot be built (peer
 * options it refuses; `"msgpack"` without `msgpackr`) the transport and the pending reads' fds are
 * released before the error is thrown.
 */
export function fdPassPeer(detached: VarlinkDetached, codec: FdPassCodec, options: Omit<PeerOptions, 'pending' | 'codec'> = {}): JsonRpcPeer {
  try {
    return new JsonRpcPeer(detached.transport, { ...options, codec: codec === 'msgpack' ? msgpackCodec() : 'json', pending: detached.pending });
  } catch (err) {
    releaseDetached(detached, err as Error);
    throw err;
  }
}

/** Closes a handed-over connection nobody will run: the fds read past the reply, then the transport. */
export function releaseDetached(detached: VarlinkDetached, err: Error): void {
  for (const read of detached.pending) Fd.closeAll(read.fds);
  detached.transport.destroy(err);
}

/**
 * The service's choice: the first offered codec it speaks (the client's preference wins), or the
 * default when the call offered none (`codecs` absent or null). `speaks` defaults to
 * {@link availableFdPassCodecs}.
 * @throws {VarlinkError} {@link FDPASS_UNSUPPORTED_CODEC_ERROR} with `supported` when none fits; the
 *   connection stays Varlink.
 */
export function chooseFdPassCodec(offered: unknown, speaks: readonly FdPassCodec[] = availableFdPassCodecs()): FdPassCodec {
  if (offered === undefined || offered === null) {
    if (speaks.includes(FDPASS_DEFAULT_CODEC)) return FDPASS_DEFAULT_CODEC;
  } else if (Array.isArray(offered)) {
    for (const codec of offered) if (isFdPassCodec(codec) && speaks.includes(codec)) return codec;
  }
  throw new VarlinkError(FDPASS_UNSUPPORTED_CODEC_ERROR, { supported: [...speaks] });
}
