import { ConnectionClosedError } from '../../jsonrpc/connection-closed-error.js';
import { RequestTimeoutError } from '../../jsonrpc/request-timeout-error.js';
import { VarlinkError } from '../../varlink/varlink-error.js';
import { SaveFdError } from '../fd-report.js';
import type { CliIo } from '../verb.js';
import { ExitCode } from '../exit-codes.js';
import { formatJsonOutput, type JsonMode } from './json-output.js';

function isTimeout(error: unknown): boolean {
  return error instanceof RequestTimeoutError || (error instanceof Error && error.name === 'TimeoutError');
}

/**
 * Reports a failed Varlink operation on stderr and returns its exit code: an error reply as
 * `{"error": NAME, "parameters": {…}}` (1), a received fd that could not be saved (1), a timeout (4),
 * anything else as a connection failure (3).
 */
export function reportFailure(error: unknown, io: CliIo, verb: string, json: JsonMode): number {
  if (error instanceof VarlinkError) {
    io.stderr.write(formatJsonOutput({ error: error.error, parameters: error.parameters }, json === 'seq' ? 'short' : json));
    return ExitCode.ErrorReply;
  }
  if (error instanceof SaveFdError) {
    io.stderr.write(`jsonrpc-fdpass varlink ${verb}: ${error.message}\n`);
    return ExitCode.Failure;
  }
  if (isTimeout(error)) {
    io.stderr.write(`jsonrpc-fdpass varlink ${verb}: timed out\n`);
    return ExitCode.Timeout;
  }
  let message = error instanceof Error ? error.message : String(error);
  // The cause says why the connection closed (a protocol error, ECONNRESET, …).
  if (error instanceof ConnectionClosedError && error.cause instanceof Error) message += `: ${error.cause.message}`;
  io.stderr.write(`jsonrpc-fdpass varlink ${verb}: ${message}\n`);
  return ExitCode.ConnectionFailure;
}
