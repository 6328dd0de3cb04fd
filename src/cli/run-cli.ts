import { ExitCode } from './exit-codes.js';
import { UsageError, type CliIo, type Verb } from './verb.js';

/**
 * Every verb of the command; new verbs register here. Each is loaded when it runs: one verb's modules
 * (the Varlink client, the conformance suites) would otherwise cost every other verb start-up time.
 */
const verbs: ReadonlyMap<string, () => Promise<Verb>> = new Map([
  ['call', async () => (await import('./call.js')).callVerb],
  ['conformance', async () => (await import('./conformance.js')).conformanceVerb],
  ['serve-echo', async () => (await import('./serve-echo.js')).serveEchoVerb],
  ['varlink', async () => (await import('./varlink.js')).varlinkVerb],
]);

/** The command's usage; loads every verb for its summary. */
async function usage(): Promise<string> {
  const width = Math.max(...[...verbs.keys()].map((name) => name.length));
  const loaded = await Promise.all([...verbs].map(async ([name, load]) => [name, await load()] as const));
  const lines = loaded.map(([name, verb]) => `  ${name.padEnd(width)}  ${verb.summary}`);
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
    (name === undefined ? io.stderr : io.stdout).write(`${await usage()}\n`);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const load = verbs.get(name);
  if (load === undefined) {
    io.stderr.write(`jsonrpc-fdpass: unknown verb "${name}"\n\n${await usage()}\n`);
    return ExitCode.Usage;
  }
  const verb = await load();
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
