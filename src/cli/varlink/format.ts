import { parseArgs } from 'node:util';
import { formatInterface } from '../../varlink/idl/format-interface.js';
import { parseVerbArgs, type CliIo } from '../verb.js';
import { ExitCode } from '../exit-codes.js';
import { readIdlFile } from './read-idl-file.js';
import { checkIdl } from './validate-idl.js';
import { takePositionals } from './verb-args.js';

/** `varlink format FILE`: the canonical form on stdout; invalid IDL is reported like validate-idl (1). */
export async function runFormat(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseVerbArgs(() =>
    parseArgs({ args: [...args], allowPositionals: true, strict: true, options: {} }),
  );
  const [path] = takePositionals(positionals, ['FILE']);
  const iface = checkIdl(path!, readIdlFile(path!), io);
  if (iface === undefined) return ExitCode.ErrorReply;
  io.stdout.write(formatInterface(iface));
  return ExitCode.Ok;
}
