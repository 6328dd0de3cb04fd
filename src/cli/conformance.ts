import { parseArgs } from 'node:util';
import { formatResult, formatSummary, type CaseResult } from '../conformance/live/live-case.js';
import { runVectorSuite, type VectorResult } from '../conformance/run-vector-suite.js';
import { defaultVectorsDir, listVectorFiles, loadVectors } from '../conformance/vectors.js';
import { CLIENT_SOCKET_ENV, runClientCheck } from '../conformance/live/run-client-check.js';
import { runServerSuite } from '../conformance/live/run-server-suite.js';
import { serverCases } from '../conformance/live/server-cases.js';
import { runVarlinkSuite } from '../conformance/varlink/run-varlink-suite.js';
import { varlinkCases } from '../conformance/varlink/varlink-cases.js';
import { ExitCode } from './exit-codes.js';
import { parseTimeoutArg } from './timeout-arg.js';
import { parseAddressArg } from './varlink/connect-client.js';
import { parseVerbArgs, UsageError, type CliIo, type Verb } from './verb.js';

const help = `Usage: jsonrpc-fdpass conformance --server SOCKET [--pid PID] [--timeout MS] [--only NAME]…
       jsonrpc-fdpass conformance --client COMMAND [--timeout MS]
       jsonrpc-fdpass conformance --vectors [--vectors-dir DIR]
       jsonrpc-fdpass conformance --varlink ADDRESS [--timeout MS] [--only NAME]… [--skip NAME]…

--server SOCKET runs live adversarial cases against a jsonrpc-fdpass server listening on SOCKET, each
on its own connection, with raw writes that control byte splits and fd batching exactly. The server
must implement the echo contract (as "jsonrpc-fdpass serve-echo" does):
  echo        result = params
  readFile    result = the UTF-8 text read from fds[0]
  createPipe  one fd in the response: a pipe read end holding some text
  echoFds     optional (SKIP on -32601): result = params, the received fds sent back in order
Fatal cases (garbage, negative or fractional fds, a mismatched count, EOF before fds) expect the server
to close that connection (a -32050 error may come first) and to keep serving fresh connections.
With --pid, the server's open fds (/proc/PID/fd) are counted after a warm-up and again after the suite.

--client COMMAND runs COMMAND with "sh -c" and ${CLIENT_SOCKET_ENV} set to the socket of an echo server
(the same contract) that answers in legal but awkward ways, in rotation: byte by byte (pausing 25 ms
after the first byte), one fd per sendmsg (the later ones 25 ms after the JSON), fds after the JSON in
a one-space continuation (25 ms later). The command should make at least three calls (say echo,
readFile with an fd, createPipe), check the answers itself and exit 0 when they are right; it passes
when it exits 0, made calls, and sent well-formed messages. When it fails, each style it got past
(it sent another request on that connection after such a response) still passes; the others fail.

--vectors runs the language-neutral spec vectors (spec/vectors, or DIR) against this package's own
fdpass channel: receiver vectors on an in-memory transport, sender vectors on each setup that can run
them. Case names are "receiver/NAME" and "sender/NAME@SETUP".

--varlink ADDRESS checks a Varlink service (unix:, tcp: or exec: address), each case on fresh
connections: GetInfo and every interface description (which must parse), the whole
org.varlink.certification run as a client when the service has it, a "more" call, a oneway call that
gets no reply, pipelined calls, MethodNotFound, InterfaceNotFound, an unknown vendor key that must be
ignored, malformed calls (invalid JSON, not an object, no method, a non-boolean flag, two flags, an
unknown key) that must make the service close the connection (within 1 s) and keep serving, and fd
passing (SKIP when the service does not accept fds). --skip NAME reports a case as SKIP instead of
running it, for deviations you know of.

Output: one line per case, "PASS name", "FAIL name: reason" or "SKIP name: reason", then
"N passed, N failed, N skipped".

Options:
  --server SOCKET   test the server listening on SOCKET
  --pid PID         the server's process id, for the fd leak check
  --client COMMAND  test a client command
  --timeout MS      server mode: wait per expected reply (default 5000);
                    client mode: how long the command may run (default 60000)
  --only NAME       server and varlink mode: run only cases whose name contains NAME (repeatable;
                    one that matches no case is a usage error)
  --vectors         run the spec vectors against this package
  --varlink ADDRESS test the Varlink service at ADDRESS
  --skip NAME       varlink mode: do not run the case named NAME (repeatable; it must exist)
  --vectors-dir DIR vectors to run instead of the shipped spec/vectors
  --list            print the server case names and exit
  --help            show this help

Exit codes: 0 nothing failed, 1 a case failed, 2 usage error.`;

function vectorCase(result: VectorResult): CaseResult {
  const name = result.kind === 'receiver' ? `receiver/${result.name}` : `sender/${result.name}@${result.setup ?? 'none'}`;
  return result.differences.length === 0
    ? { name, status: 'pass' }
    : { name, status: 'fail', reason: result.differences.join('; ') };
}

async function runVectors(dir: string, onResult: (result: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  await runVectorSuite(loadVectors(dir), (result) => {
    const line = vectorCase(result);
    results.push(line);
    onResult(line);
  });
  return results;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseVerbArgs(() =>
    parseArgs({
      args: [...args],
      strict: true,
      options: {
        server: { type: 'string' },
        pid: { type: 'string' },
        client: { type: 'string' },
        timeout: { type: 'string' },
        only: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        vectors: { type: 'boolean' },
        'vectors-dir': { type: 'string' },
        varlink: { type: 'string' },
        skip: { type: 'string', multiple: true },
      },
    }),
  );
  if (values.list === true) {
    for (const c of serverCases) io.stdout.write(`${c.name}\n`);
    return ExitCode.Ok;
  }
  const modes = [values.server, values.client, values.varlink, values.vectors === true ? '' : undefined].filter((m) => m !== undefined);
  if (modes.length !== 1) throw new UsageError('give exactly one of --server SOCKET, --client COMMAND, --varlink ADDRESS and --vectors');
  if (values['vectors-dir'] !== undefined && values.vectors !== true) throw new UsageError('--vectors-dir needs --vectors');
  const timeoutMs = parseTimeoutArg(values.timeout);
  let pid: number | undefined;
  if (values.pid !== undefined) {
    pid = Number(values.pid);
    if (!Number.isInteger(pid) || pid <= 0) throw new UsageError('--pid must be a process id');
    if (values.client !== undefined) throw new UsageError('--pid applies to --server only');
  }

  const onResult = (result: CaseResult): void => {
    io.stdout.write(`${formatResult(result)}\n`);
  };
  let results: CaseResult[];
  if (values.skip !== undefined && values.varlink === undefined) throw new UsageError('--skip needs --varlink');
  // Arguments naming nothing are mistakes (a typo, a bad path): running zero cases would report success.
  if (values.varlink !== undefined) {
    parseAddressArg(values.varlink);
    const names = varlinkCases.map((c) => c.name);
    const unknown = values.skip?.find((name) => !names.includes(name));
    if (unknown !== undefined) throw new UsageError(`--skip ${JSON.stringify(unknown)} names no Varlink case`);
  }
  if (values.only !== undefined && (values.varlink !== undefined || values.server !== undefined)) {
    const names = (values.varlink !== undefined ? varlinkCases : serverCases).map((c) => c.name);
    const unmatched = values.only.find((part) => !names.some((name) => name.includes(part)));
    if (unmatched !== undefined) throw new UsageError(`--only ${JSON.stringify(unmatched)} matches no case name`);
  }
  if (values.varlink !== undefined) {
    results = await runVarlinkSuite({
      address: values.varlink,
      onResult,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(values.only === undefined ? {} : { only: values.only }),
      ...(values.skip === undefined ? {} : { skip: values.skip }),
    });
  } else if (values.vectors === true) {
    const dir = values['vectors-dir'] ?? defaultVectorsDir();
    let files: string[];
    try {
      files = listVectorFiles(dir);
    } catch (error) {
      throw new UsageError(`--vectors-dir ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (files.length === 0) throw new UsageError(`--vectors-dir ${dir}: no vector files (*.json) in it`);
    results = await runVectors(dir, onResult);
  } else if (values.server !== undefined) {
    results = await runServerSuite({
      socketPath: values.server,
      onResult,
      ...(pid === undefined ? {} : { pid }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(values.only === undefined ? {} : { only: values.only }),
    });
  } else {
    results = await runClientCheck({
      command: values.client!,
      onResult,
      // The client's own output is diagnostics: keep stdout for the result lines.
      output: { stdout: io.stderr, stderr: io.stderr },
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
  io.stdout.write(`${formatSummary(results)}\n`);
  return results.some((r) => r.status === 'fail') ? ExitCode.Failure : ExitCode.Ok;
}

/** `jsonrpc-fdpass conformance`: live adversarial checks of a server or a client. */
export const conformanceVerb: Verb = {
  summary: 'run live adversarial checks against a jsonrpc-fdpass server or client',
  help,
  run,
};
