import { VarlinkError } from '../../varlink/varlink-error.js';
import type { CliIo } from '../verb.js';
import { ExitCode } from '../exit-codes.js';
import { failureExitCode, failureMessage } from '../failure.js';
import { formatJsonOutput, type JsonMode } from './json-output.js';

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
  const code = failureExitCode(error);
  io.stderr.write(`jsonrpc-fdpass varlink ${verb}: ${code === ExitCode.Timeout ? 'timed out' : failureMessage(error)}\n`);
  return code;
}
