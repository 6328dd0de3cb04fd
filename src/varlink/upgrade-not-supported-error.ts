/**
 * The service closed the connection instead of answering an `upgrade` call. Services that predate the
 * `upgrade` flag (systemd before v261, libvarlink) treat it as an unknown key and disconnect, so this is
 * how a missing upgrade shows; `cause` holds what the connection reported (EOF or a reset).
 */
export class UpgradeNotSupportedError extends Error {
  override readonly name = 'UpgradeNotSupportedError';
  readonly code = 'ERR_VARLINK_UPGRADE_NOT_SUPPORTED';
  /** The method that was called with `upgrade`. */
  readonly method: string;

  constructor(method: string, options?: ErrorOptions) {
    super(`upgrade not supported by the service: it closed the connection instead of answering ${method}`, options);
    this.method = method;
  }
}
