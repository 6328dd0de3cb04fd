/** The transport layer: owned fds, the Transport contract and the native Unix socket implementation. */
export { Fd, fdNumber, checkFds, isFdNumber, MAX_FD, InvalidFdError, FdClosedError, type FdLike } from './fd.js';
export { SystemError, TransportClosedError, TransportStateError, InvalidArgumentError, ArgumentRangeError } from './system-error.js';
export type { PeerCredentials, Transport, TransportHandlers, WriteOptions } from './transport.js';
export { NativeAddonError } from './native.js';
export { pipe } from './pipe.js';
export {
  UnixSocket,
  connect,
  socketPair,
  InvalidWriteError,
  FDS_TRUNCATED,
  type UnixSocketOptions,
  type ConnectOptions,
} from './unix-socket.js';
export {
  UnixListener,
  listen,
  isListeningSocket,
  type ListenOptions,
  type ListenAddress,
} from './unix-listener.js';
export {
  MemoryTransport,
  memoryTransportPair,
  type MemoryTransportOptions,
  type MemoryTransportStats,
} from './memory-transport.js';
