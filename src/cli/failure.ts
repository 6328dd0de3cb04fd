import { ConnectionClosedError } from '../jsonrpc/connection-closed-error.js';
import { RequestTimeoutError } from '../jsonrpc/request-timeout-error.js';
import { ExitCode } from './exit-codes.js';
import { SaveFdError } from './fd-report.js';

/** A timeout: a request's own (`timeoutMs`) or the `--timeout` deadline's (`AbortSignal.timeout`). */
export function isTimeout(error: unknown): boolean {
  return error instanceof RequestTimeoutError || (error instanceof Error && error.name === 'TimeoutError');
}

/**
 * The exit code of a verb's failure that is not an error reply, the same for every verb: a received fd
 * that could not be saved (1), a timeout (4), anything else a connection or protocol failure (3).
 */
export function failureExitCode(error: unknown): ExitCode {
  if (error instanceof SaveFdError) return ExitCode.Failure;
  if (isTimeout(error)) return ExitCode.Timeout;
  return ExitCode.ConnectionFailure;
}

/** The error's message; for a closed connection followed by its cause (a protocol error, ECONNRESET, …). */
export function failureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof ConnectionClosedError && error.cause instanceof Error ? `${message}: ${error.cause.message}` : message;
}
