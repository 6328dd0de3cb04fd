import { VarlinkError } from './varlink-error.js';

/**
 * The parameters of an upgrade into jsonrpc-fdpass, shared by client and service (see
 * `spec/varlink-upgrade.md`).
 */

/** The `protocol` the confirming reply names. */
export const FDPASS_PROTOCOL = 'jsonrpc-fdpass';

/** A codec of the upgraded connection. Only JSON exists today; msgpack is the planned second. */
export type FdPassCodec = 'json';

/** The codecs this implementation speaks, in our order of preference. */
export const FDPASS_CODECS: readonly FdPassCodec[] = ['json'];

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

/** True for a codec this implementation speaks. */
export function isFdPassCodec(value: unknown): value is FdPassCodec {
  return typeof value === 'string' && (FDPASS_CODECS as readonly string[]).includes(value);
}

/**
 * The service's choice: the first offered codec it speaks (the client's preference wins), or the
 * default when the call offered none (`codecs` absent or null).
 * @throws {VarlinkError} {@link FDPASS_UNSUPPORTED_CODEC_ERROR} with `supported` when none fits; the
 *   connection stays Varlink.
 */
export function chooseFdPassCodec(offered: unknown): FdPassCodec {
  if (offered === undefined || offered === null) return FDPASS_DEFAULT_CODEC;
  if (Array.isArray(offered)) {
    for (const codec of offered) if (isFdPassCodec(codec)) return codec;
  }
  throw new VarlinkError(FDPASS_UNSUPPORTED_CODEC_ERROR, { supported: [...FDPASS_CODECS] });
}
