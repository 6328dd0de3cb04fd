/**
 * Process exit codes of the `jsonrpc-fdpass` command: one set of numbers for every verb (each verb's
 * --help lists the ones it uses).
 */
export const ExitCode = {
  /** Success (servers: stopped cleanly by SIGTERM/SIGINT; `call --notify`, `varlink call --oneway`: written). */
  Ok: 0,
  /** The command ran and failed (I/O error, a conformance case failed, invalid IDL, …). */
  Failure: 1,
  /** The peer answered with an error reply, printed as JSON on stderr (a kind of {@link ExitCode.Failure}). */
  ErrorReply: 1,
  /** Bad command line: unknown verb or option, missing or malformed argument, unopenable fd argument. */
  Usage: 2,
  /** Could not connect, the connection broke, or the peer broke the protocol. */
  ConnectionFailure: 3,
  /** Nothing (or not everything) arrived within --timeout. */
  Timeout: 4,
} as const;

/** One of the {@link ExitCode} numbers. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
