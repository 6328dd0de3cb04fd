/** Varlink: client, service, addresses, the connection underneath, and the IDL. */
export * from './idl/index.js';
export {
  VarlinkClient,
  type VarlinkCallOptions,
  type VarlinkCallResult,
  type VarlinkClientOptions,
  type VarlinkConnectOptions,
  type VarlinkStreamReply,
  type VarlinkUpgradeResult,
} from './varlink-client.js';
export {
  VarlinkService,
  InvalidReplyError,
  VARLINK_INTERNAL_ERROR,
  type VarlinkCallContext,
  type VarlinkHandlerReply,
  type VarlinkInterfaceHandlers,
  type VarlinkMethodHandler,
  type VarlinkServeOptions,
  type VarlinkServiceInfo,
  type VarlinkServiceOptions,
} from './varlink-service.js';
export {
  VarlinkServer,
  listenVarlink,
  listenVarlinkActivated,
  type VarlinkListenAddress,
  type VarlinkListenOptions,
} from './varlink-server.js';
export {
  VarlinkConnection,
  VARLINK_DEFAULT_MAX_MESSAGE_SIZE,
  VARLINK_MAX_FDS,
  type VarlinkConnectionHandlers,
  type VarlinkConnectionOptions,
  type VarlinkDetached,
  type VarlinkFdPassing,
  type VarlinkIncoming,
} from './varlink-connection.js';
export { HandoffTransport } from './handoff-transport.js';
export { type FdPassUpgradeOptions } from './fdpass-upgrade-client.js';
export {
  fdPassUpgrade,
  isFdPassUpgradeHandler,
  type FdPassAcceptor,
  type FdPassUpgradeContext,
  type FdPassUpgradeHandler,
  type FdPassUpgradeServiceOptions,
} from './fdpass-upgrade-service.js';
export {
  availableFdPassCodecs,
  chooseFdPassCodec,
  FDPASS_CODECS,
  FDPASS_DEFAULT_CODEC,
  FDPASS_PROTOCOL,
  FDPASS_UNSUPPORTED_CODEC_ERROR,
  type FdPassCodec,
  type FdPassUpgradeReply,
} from './fdpass-upgrade-protocol.js';
export { FdPassUpgradeError, type FdPassUpgradeErrorReason } from './fdpass-upgrade-error.js';
export { UpgradeNotSupportedError } from './upgrade-not-supported-error.js';
export {
  connectVarlinkAddress,
  parseVarlinkAddress,
  VarlinkAddressError,
  VarlinkExecError,
  type ConnectAddressOptions,
  type ConnectedAddress,
  type VarlinkAddress,
} from './address.js';
export { NetTransport } from './net-transport.js';
export { activationFds, varlinkActivationFd, type ActivationFd } from './socket-activation.js';
export { VarlinkError } from './varlink-error.js';
export { VarlinkProtocolError } from './varlink-protocol-error.js';
export { VarlinkUsageError } from './varlink-usage-error.js';
export { VarlinkStandardError, invalidParameter, permissionDenied } from './standard-errors.js';
export {
  callMessage,
  checkCall,
  checkReply,
  replyMessage,
  type CheckResult,
  type VarlinkCall,
  type VarlinkCallMessage,
  type VarlinkParameters,
  type VarlinkReply,
} from './varlink-message.js';
