export { ErrorCodes, type StandardErrorCode } from './error-codes.js';
export { JsonRpcError, type JsonRpcErrorObject } from './jsonrpc-error.js';
export { ConnectionClosedError } from './connection-closed-error.js';
export { RequestTimeoutError } from './request-timeout-error.js';
export { defineMethod, type MethodDescriptor } from './method-descriptor.js';
export { withFds, WithFds, type WithFdsOptions } from './with-fds.js';
export type { Handler, HandlerContext } from './handler.js';
export type { JsonRpcId, JsonRpcParams } from './message.js';
export {
  JsonRpcPeer,
  type PeerOptions,
  type RequestOptions,
  type NotifyOptions,
  type Response,
  type CloseOptions,
} from './peer.js';
export { connectPeer, type ConnectPeerOptions } from './connect-peer.js';
export { listenPeers, JsonRpcServer, type ServerOptions } from './server.js';
