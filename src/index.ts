/**
 * jsonrpc-fdpass: JSON-RPC 2.0 with file descriptor passing over Unix sockets, for Node.js.
 *
 * - {@link connectPeer} / {@link listenPeers}: a JSON-RPC peer whose requests and responses carry fds.
 * - {@link connect} / {@link listen} / {@link socketPair}: the fd-carrying socket underneath.
 * - {@link Fd}: an owned file descriptor; received fds are yours to `take()` or `close()`.
 * @packageDocumentation
 */
export * from './transport/index.js';
export * from './fdpass/index.js';
export * from './jsonrpc/index.js';
// The optional msgpack codec (ChannelOptions/PeerOptions `codec`); the rest of the codecs live in
// 'jsonrpc-fdpass/codec'.
export { msgpackCodec, isMsgpackAvailable, MsgpackUnavailableError, MessageEncodeError, type MessageCodec } from './codec/index.js';
// Varlink: the everyday names here; everything else (connection, messages, activation, IDL AST and
// validator) from 'jsonrpc-fdpass/varlink'.
export {
  VarlinkClient,
  VarlinkService,
  VarlinkServer,
  listenVarlink,
  VarlinkError,
  VarlinkProtocolError,
  fdPassUpgrade,
  UpgradeNotSupportedError,
  FdPassUpgradeError,
  parseInterface,
  formatInterface,
  VarlinkIdlError,
  type VarlinkCallOptions,
  type VarlinkCallResult,
  type VarlinkCallContext,
  type VarlinkInterfaceHandlers,
  type VarlinkServiceInfo,
  type VarlinkInterface,
  type FdPassUpgradeOptions,
  type FdPassAcceptor,
} from './varlink/index.js';
