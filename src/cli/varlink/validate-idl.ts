import { parseArgs } from 'node:util';
import { parseInterface } from '../../varlink/idl/parse-interface.js';
import { VarlinkIdlError } from '../../varlink/idl/varlink-idl-error.js';
import { parseVerbArgs, type CliIo } from '../verb.js';
import { ExitCode } from '../exit-codes.js';
import { readIdlFile } from './read-idl-file.js';
import { takePositionals } from './verb-args.js';

/**
 * Parses FILE; on an error prints `FILE:LINE:COLUMN: problem` on stderr (the form editors jump to)
 * and returns 1. Other errors propagate.
 */
export function checkIdl(path: string, text: string, io: CliIo): ReturnType<typeof parseInterface> | undefined {
  try {
    return parseInterface(text);
  } catch (error) {
    if (!(error instanceof VarlinkIdlError)) throw error;
    io.stderr.write(`${path}:${error.line}:${error.column}: ${error.detail}\n`);
    return undefined;
  }
}

/** `varlink validate-idl FILE…`: exit 0 when every file is a valid interface, 1 otherwise. */
export async function runValidateIdl(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: {} }),
  );
  const files = takePositionals(positionals, ['FILE'], Number.MAX_SAFE_INTEGER);
  let ok = true;
  // Silent on success, like a compiler: the exit code is the answer.
  for (const path of files) if (checkIdl(path, readIdlFile(path), io) === undefined) ok = false;
  return ok ? ExitCode.Ok : ExitCode.ErrorReply;
}
