/**
 * A call the local side may not make: fds on a connection that did not enable sending them, more fds
 * than one message carries, a message over the size limit, a call while an upgrade is pending.
 * Nothing was sent.
 */
export class VarlinkUsageError extends Error {
  override readonly name = 'VarlinkUsageError';
  readonly code = 'ERR_VARLINK_USAGE';
}
