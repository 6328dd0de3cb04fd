import { parseArgs } from 'node:util';
import { listenPeers } from '../jsonrpc/server.js';
import { echoHandlers } from '../conformance/echo-service.js';
import { ExitCode } from './exit-codes.js';
import { parseVerbArgs, UsageError, type CliIo, type Verb } from './verb.js';

/** How long a graceful shutdown may take before the remaining connections are destroyed. */
const SHUTDOWN_GRACE_MS = 5000;

const help = `Usage: jsonrpc-fdpass serve-echo --socket PATH

Serves the reference echo methods (echo, echoFds, readFile, createPipe) over jsonrpc-fdpass on the Unix
socket PATH, compatible with the Go reference's echo example. A stale socket file at PATH is replaced
(one a server still listens on is not); the socket file is removed on exit. Prints "listening on PATH"
once ready. SIGTERM or SIGINT closes gracefully (running calls are answered) and exits 0.

Options:
  --socket PATH   where to listen (required)
  --help          show this help`;

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseVerbArgs(() => parseArgs({ args: [...args], options: { socket: { type: 'string' } }, strict: true }));
  const socketPath = values.socket;
  if (socketPath === undefined) throw new UsageError('--socket PATH is required');

  const server = await listenPeers(socketPath, { handlers: echoHandlers });
  server.onError((error) => io.stderr.write(`connection error: ${error.message}\n`));
  io.stdout.write(`listening on ${socketPath}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  io.stderr.write(`${signal}: closing\n`);
  await server.close({ signal: AbortSignal.timeout(SHUTDOWN_GRACE_MS) });
  return ExitCode.Ok;
}

/** `jsonrpc-fdpass serve-echo`: the reference echo server. */
export const serveEchoVerb: Verb = {
  summary: 'serve the reference echo methods on a Unix socket',
  help,
  run,
};
