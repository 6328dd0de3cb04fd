/**
 * The peer broke the Varlink protocol (malformed JSON, a reply that continues without `more`, fds
 * where none may arrive, a message over the size limit, …). The connection is closed when it is raised.
 */
export class VarlinkProtocolError extends Error {
  override readonly name = 'VarlinkProtocolError';
  readonly code = 'ERR_VARLINK_PROTOCOL';
}
