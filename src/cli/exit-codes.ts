/** Process exit codes of the `jsonrpc-fdpass` command. */
export const ExitCode = {
  /** Success (for servers: stopped cleanly by SIGTERM/SIGINT). */
  Ok: 0,
  /** The command ran and failed (I/O error, peer error, …). */
  Failure: 1,
  /** Bad command line: unknown verb or option, missing argument. */
  Usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
