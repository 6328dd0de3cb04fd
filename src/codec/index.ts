/**
 * The pure (addon-free) codecs: the resumable JSON scanner used by jsonrpc-fdpass, the NUL framer
 * used by Varlink, and the optional msgpack codec (resumable skipper + msgpackr). Importable as
 * `jsonrpc-fdpass/codec`.
 * @packageDocumentation
 */
export { JsonScanner, isJsonWhitespace } from './json-scanner.js';
export type { JsonScannerOptions, ScannedValue } from './json-scanner.js';
export { JsonFramingError } from './json-framing-error.js';
export type { JsonFramingReason } from './json-framing-error.js';
export { NulFramer, NulFramingError } from './nul-framer.js';
export type { NulFramerOptions } from './nul-framer.js';
export { isMessageFramingError } from './message-codec.js';
export { MessageEncodeError } from './message-encode-error.js';
export type { FramerLimits, MessageCodec, MessageFramer, MessageFramingError } from './message-codec.js';
export { jsonCodec } from './json-codec.js';
export { msgpackCodec, isMsgpackAvailable } from './msgpack-codec.js';
export { MsgpackSkipper, MSGPACK_FILLER } from './msgpack-skipper.js';
export type { MsgpackSkipperOptions } from './msgpack-skipper.js';
export { MsgpackFramingError } from './msgpack-framing-error.js';
export type { MsgpackFramingReason } from './msgpack-framing-error.js';
export { MsgpackUnavailableError } from './msgpack-unavailable-error.js';
