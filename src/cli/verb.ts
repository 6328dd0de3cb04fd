/** Where a verb writes; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** One sub-command of the `jsonrpc-fdpass` command. */
export interface Verb {
  /** One line for the verb list. */
  readonly summary: string;
  /** Full help text, shown by `jsonrpc-fdpass VERB --help`. */
  readonly help: string;
  /** Runs the verb with the arguments after its name; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A command-line mistake: reported with the verb's usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

/** Runs an argument parser (`parseArgs`), turning every mistake into a {@link UsageError} (exit code 2). */
export function parseVerbArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
