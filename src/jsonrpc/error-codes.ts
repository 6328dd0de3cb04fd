/**
 * Standard JSON-RPC 2.0 error codes, plus the jsonrpc-fdpass fatal file descriptor error.
 *
 * Codes from -32000 to -32099 are reserved for implementation-defined server errors; -32050 is the one
 * the jsonrpc-fdpass specification assigns to framing and fd-association failures.
 */
export const ErrorCodes = {
  /** Invalid JSON was received. */
  ParseError: -32700,
  /** The JSON sent is not a valid Request object. */
  InvalidRequest: -32600,
  /** The method does not exist or is not available. */
  MethodNotFound: -32601,
  /** Invalid method parameters. */
  InvalidParams: -32602,
  /** Internal JSON-RPC error, including handlers that threw something other than a JsonRpcError. */
  InternalError: -32603,
  /** jsonrpc-fdpass: fatal framing or fd-association error; the connection is closed. */
  FdError: -32050,
} as const;

/** One of the {@link ErrorCodes} values. */
export type StandardErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
