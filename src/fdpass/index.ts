/**
 * The jsonrpc-fdpass channel: message framing, fd association and fatal `-32050` errors.
 * @packageDocumentation
 */
export { FdPassChannel } from './channel.js';
export type { ChannelHandlers, ChannelOptions } from './channel.js';
export { FdPassError, FD_PASS_ERROR_CODE } from './fdpass-error.js';
export type { FdPassErrorReason } from './fdpass-error.js';
