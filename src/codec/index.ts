/**
 * The pure (addon-free) codecs: the resumable JSON scanner used by jsonrpc-fdpass and the NUL framer
 * used by Varlink. Importable as `jsonrpc-fdpass/codec`.
 * @packageDocumentation
 */
export { JsonScanner, isJsonWhitespace } from './json-scanner.js';
export type { JsonScannerOptions, ScannedValue } from './json-scanner.js';
export { JsonFramingError } from './json-framing-error.js';
export type { JsonFramingReason } from './json-framing-error.js';
export { NulFramer, NulFramingError } from './nul-framer.js';
export type { NulFramerOptions } from './nul-framer.js';
