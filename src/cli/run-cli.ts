import { callVerb } from './call.js';
import { conformanceVerb } from './conformance.js';
import { ExitCode } from './exit-codes.js';
import { serveEchoVerb } from './serve-echo.js';
import { varlinkVerb } from './varlink.js';
import { UsageError, type CliIo, type Verb } from './verb.js';

/** Every verb of the command; new verbs register here. */
const verbs: ReadonlyMap<string, Verb> = new Map([
  ['call', callVerb],
  ['conformance', conformanceVerb],
  ['serve-echo', serveEchoVerb],
  ['varlink', varlinkVerb],
]);

function usage(): string {
  const width = Math.max(...[...verbs.keys()].map((name) => name.length));
  const lines = [...verbs].map(([name, verb]) => `  ${name.padEnd(width)}  ${verb.summary}`);
  return `Usage: jsonrpc-fdpass VERB [OPTIONS]

JSON-RPC 2.0 with Unix fd passing (jsonrpc-fdpass).

Verbs:
${lines.join('\n')}

Run "jsonrpc-fdpass VERB --help" for a verb's options.

Exit codes: 0 success, 1 failure or error reply, 2 usage error, 3 connection or protocol failure,
4 timeout (each verb's --help lists the ones it uses).`;
}

/** Runs the command line `args` (without node and script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${usage()}\n`);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const verb = verbs.get(name);
  if (verb === undefined) {
    io.stderr.write(`jsonrpc-fdpass: unknown verb "${name}"\n\n${usage()}\n`);
    return ExitCode.Usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${verb.help}\n`);
    return ExitCode.Ok;
  }
  try {
    return await verb.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`jsonrpc-fdpass ${name}: ${error.message}\n\n${verb.help}\n`);
      return ExitCode.Usage;
    }
    io.stderr.write(`jsonrpc-fdpass ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Failure;
  }
}
