/** Exit codes of the `jsonrpc-fdpass varlink` verbs; the same numbers as `jsonrpc-fdpass call`. */
export const VarlinkExitCode = {
  Ok: 0,
  /** The service answered with a Varlink error (printed as JSON on stderr); `validate-idl`: invalid IDL. */
  ErrorReply: 1,
  Usage: 2,
  /** Could not connect, the connection broke, or the service broke the protocol. */
  ConnectionFailure: 3,
  /** Nothing (or not everything) arrived within --timeout. */
  Timeout: 4,
} as const;

export type VarlinkExitCode = (typeof VarlinkExitCode)[keyof typeof VarlinkExitCode];
