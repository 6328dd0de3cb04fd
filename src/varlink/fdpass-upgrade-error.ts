/** Why a confirmed upgrade could not become a jsonrpc-fdpass connection. */
export type FdPassUpgradeErrorReason =
  /** The confirming reply names another protocol, or none. */
  | 'protocol'
  /** The confirming reply names a codec the client did not offer or cannot speak. */
  | 'codec'
  /** The confirming reply carried fds; it must not. */
  | 'fds';

/**
 * The service confirmed an upgrade, but not into something this client can speak. The socket no
 * longer speaks Varlink, so it was closed (with every fd already received).
 */
export class FdPassUpgradeError extends Error {
  override readonly name = 'FdPassUpgradeError';
  readonly code = 'ERR_VARLINK_FDPASS_UPGRADE';
  /** What in the confirming reply was wrong. */
  readonly reason: FdPassUpgradeErrorReason;

  constructor(reason: FdPassUpgradeErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
