import { parseArgs } from 'node:util';
import { connectPeer } from '../jsonrpc/connect-peer.js';
import { JsonRpcError } from '../jsonrpc/jsonrpc-error.js';
import type { JsonRpcParams } from '../jsonrpc/message.js';
import type { JsonRpcPeer } from '../jsonrpc/peer.js';
import { Fd } from '../transport/fd.js';
import { ExitCode } from './exit-codes.js';
import { failureExitCode, failureMessage } from './failure.js';
import { describeFd, formatFdLine, makeSaveDir, saveReceivedFd } from './fd-report.js';
import { openFdArgs } from './open-fd-args.js';
import { parseTimeoutArg } from './timeout-arg.js';
import { parseVerbArgs, UsageError, type CliIo, type Verb } from './verb.js';

const help = `Usage: jsonrpc-fdpass call [OPTIONS] SOCKET METHOD [PARAMS_JSON]

Sends one jsonrpc-fdpass request (or notification) to the server on the Unix socket SOCKET and prints
the result as JSON on stdout. PARAMS_JSON must be a JSON object or array; without it no params are sent.

Options:
  --fd PATH|NUM        attach an fd to the request (repeatable, in order): a PATH is opened read-only,
                       a NUM is an fd this command inherited (e.g. "3<file" in the shell)
  --notify             send a notification: no response is awaited; exits 0 once it was written
  --timeout MS         give up after MS milliseconds (connecting and waiting for the response)
  --json=short|pretty  output format: one line (default) or indented
  --envelope           print {"result": …, "fds": [FD_INFO, …]} on stdout instead of the bare result
  --save-fds=DIR       write the content of each received readable file or pipe to DIR/fd-0, DIR/fd-1, …;
                       when stderr is a terminal, a copy taking over a second shows its progress there
  --help               show this help

Received fds: each is described on stderr, one line per fd: "fd INDEX: TYPE TARGET" where TYPE is
file, directory, pipe, socket, char-device, block-device or other, and TARGET is what /proc/self/fd
shows (a path, pipe:[INODE], socket:[INODE], …). With --envelope the same appears on stdout as
FD_INFO objects {"index", "type", "target", "readable", "saved"?} and nothing is printed on stderr.
All other diagnostics go to stderr.

Exit codes:
  0  the call succeeded (or the notification was sent)
  1  the server answered with a JSON-RPC error; the error object is printed as JSON on stderr; or a
     received fd could not be saved (--save-fds)
  2  usage error (bad option, PARAMS_JSON not an object or array, --fd not openable, --save-fds
     directory that cannot be created)
  3  connection or protocol failure (cannot connect, connection closed, -32050 from the peer)
  4  timeout (--timeout elapsed)`;

interface CallOptions {
  socket: string;
  method: string;
  params: JsonRpcParams | undefined;
  fdArgs: string[];
  notify: boolean;
  timeoutMs: number | undefined;
  pretty: boolean;
  envelope: boolean;
  saveDir: string | undefined;
}

function parse(args: readonly string[]): CallOptions {
  const { values, positionals } = parseVerbArgs(() =>
    parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        fd: { type: 'string', multiple: true },
        notify: { type: 'boolean' },
        timeout: { type: 'string' },
        json: { type: 'string' },
        envelope: { type: 'boolean' },
        'save-fds': { type: 'string' },
      },
    }),
  );
  const [socket, method, paramsText, ...extra] = positionals;
  if (socket === undefined || method === undefined) throw new UsageError('SOCKET and METHOD are required');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  let params: JsonRpcParams | undefined;
  if (paramsText !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(paramsText);
    } catch (error) {
      throw new UsageError(`PARAMS_JSON is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof value !== 'object' || value === null) throw new UsageError('PARAMS_JSON must be a JSON object or array');
    params = value as JsonRpcParams;
  }
  const timeoutMs = parseTimeoutArg(values.timeout);
  const json = values.json ?? 'short';
  if (json !== 'short' && json !== 'pretty') throw new UsageError('--json must be short or pretty');
  if (values.notify === true && (values['save-fds'] !== undefined || values.envelope === true)) {
    throw new UsageError('--notify gets no response: --save-fds and --envelope do not apply');
  }
  return {
    socket,
    method,
    params,
    fdArgs: values.fd ?? [],
    notify: values.notify === true,
    timeoutMs,
    pretty: json === 'pretty',
    envelope: values.envelope === true,
    saveDir: values['save-fds'],
  };
}

function formatJson(value: unknown, pretty: boolean): string {
  return JSON.stringify(value, null, pretty ? 2 : undefined) ?? 'null';
}

/** The error a rejected call maps to: its exit code and the line(s) for stderr. */
function failure(error: unknown, pretty: boolean): { code: number; text: string } {
  if (error instanceof JsonRpcError) return { code: ExitCode.ErrorReply, text: formatJson(error.toJSON(), pretty) };
  // The --timeout deadline (an AbortSignal's TimeoutError) says only "The operation was aborted due to timeout".
  const byDeadline = error instanceof Error && error.name === 'TimeoutError';
  return { code: failureExitCode(error), text: `jsonrpc-fdpass call: ${byDeadline ? `timed out (${error.message})` : failureMessage(error)}` };
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const options = parse(args);
  const owned: Fd[] = [];
  let peer: JsonRpcPeer | undefined;
  const deadline = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const started = Date.now();
  try {
    const fds = openFdArgs('--fd', options.fdArgs, owned);
    if (options.saveDir !== undefined) makeSaveDir('--save-fds', options.saveDir);
    peer = await connectPeer(options.socket, deadline ? { signal: deadline } : {});
    if (options.notify) {
      await peer.notify(options.method, options.params, { fds });
      return ExitCode.Ok;
    }
    const remaining = options.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - (Date.now() - started));
    const response = await peer.request(options.method, options.params, {
      fds,
      ...(remaining === undefined ? {} : { timeoutMs: remaining }),
    });
    try {
      const infos = response.fds.map((fd, index) => describeFd(index, fd.value));
      if (options.saveDir !== undefined) {
        for (const info of infos) {
          // Files and pipes only: unlike the varlink verbs, `call` does not copy character devices.
          if (!info.readable || (info.type !== 'file' && info.type !== 'pipe')) continue;
          await saveReceivedFd(response.fds[info.index]!, info, options.saveDir, `fd-${info.index}`, io.stderr, deadline);
        }
      }
      if (options.envelope) {
        io.stdout.write(`${formatJson({ result: response.result, fds: infos }, options.pretty)}\n`);
      } else {
        io.stdout.write(`${formatJson(response.result, options.pretty)}\n`);
        for (const info of infos) io.stderr.write(`${formatFdLine(info)}\n`);
      }
    } finally {
      Fd.closeAll(response.fds);
    }
    return ExitCode.Ok;
  } catch (error) {
    // Connecting, calling, saving: every failure after the arguments were accepted ends here.
    if (error instanceof UsageError) throw error;
    const { code, text } = failure(error, options.pretty);
    io.stderr.write(`${text}\n`);
    return code;
  } finally {
    Fd.closeAll(owned);
    // Our request is answered: no need to wait for a graceful close of a server that may not reply.
    peer?.destroy();
  }
}

/** `jsonrpc-fdpass call`: one request or notification to a jsonrpc-fdpass server. */
export const callVerb: Verb = {
  summary: 'send one jsonrpc-fdpass request (or notification) and print the result',
  help,
  run,
};
