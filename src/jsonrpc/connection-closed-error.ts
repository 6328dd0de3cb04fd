/**
 * The connection closed before a request got its response (or a request was made on a closed peer).
 * `cause` carries the reason the connection died when there was one, e.g. the channel's fatal
 * `FdPassError` (-32050) or a transport `SystemError`.
 */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  readonly code = 'ERR_CONNECTION_CLOSED';
  constructor(message = 'connection closed', options?: ErrorOptions) {
    super(message, options);
  }
}
