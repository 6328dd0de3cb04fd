/**
 * Why a jsonrpc-fdpass connection failed fatally:
 * - `framing`: the bytes are not a sequence of messages in the connection's codec (syntax, invalid
 *   UTF-8 in JSON, a top-level scalar, nesting too deep, or the stream ended inside a message);
 * - `mismatched-count`: a message's fds did not all arrive before the next message began or the
 *   stream ended;
 * - `invalid-fds`: the `fds` member is not a non-negative integer within the per-message limit;
 * - `limit`: a message or the queue of received fds grew beyond the configured limit.
 */
export type FdPassErrorReason = 'framing' | 'mismatched-count' | 'invalid-fds' | 'limit';

/** The JSON-RPC error code of jsonrpc-fdpass protocol failures ("File Descriptor Error"). */
export const FD_PASS_ERROR_CODE = -32050;

/**
 * A fatal jsonrpc-fdpass protocol error (JSON-RPC code -32050, "File Descriptor Error"): the
 * connection is desynchronised and was closed.
 */
export class FdPassError extends Error {
  override readonly name = 'FdPassError';
  readonly code = FD_PASS_ERROR_CODE;
  readonly reason: FdPassErrorReason;

  constructor(reason: FdPassErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }

  /** The `error` member sent to the peer before closing. */
  toJSON(): { code: number; message: string; data: { reason: FdPassErrorReason } } {
    return { code: FD_PASS_ERROR_CODE, message: 'File Descriptor Error', data: { reason: this.reason } };
  }
}
