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
export {
  connectVarlinkAddress,
  parseVarlinkAddress,
  VarlinkAddressError,
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
