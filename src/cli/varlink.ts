import { runCall, type CallIo } from './varlink/call.js';
import { runFormat } from './varlink/format.js';
import { runInfo } from './varlink/info.js';
import { runIntrospect } from './varlink/introspect.js';
import { runListInterfaces } from './varlink/list-interfaces.js';
import { runValidateIdl } from './varlink/validate-idl.js';
import { UsageError, type Verb } from './verb.js';

const help = `Usage: jsonrpc-fdpass varlink info ADDRESS [--json=MODE] [--timeout=MS]
       jsonrpc-fdpass varlink list-interfaces ADDRESS [--json=MODE] [--timeout=MS]
       jsonrpc-fdpass varlink introspect ADDRESS [INTERFACE…] [--timeout=MS]
       jsonrpc-fdpass varlink call ADDRESS METHOD [PARAMS_JSON] [OPTIONS]
       jsonrpc-fdpass varlink validate-idl FILE…
       jsonrpc-fdpass varlink format FILE

Talks to a Varlink service, in the manner of systemd's varlinkctl. ADDRESS is unix:/path,
unix:@abstract, tcp:HOST:PORT, or exec:/path/to/program (started with the connection as an
activation socket on fd 3; its own output goes to stderr); anything after ";" is ignored.

  info             org.varlink.service.GetInfo, as JSON
  list-interfaces  the interfaces the service implements, one per line (a JSON array with --json)
  introspect       the IDL of each INTERFACE as the service describes it; all of them without INTERFACE
  call             calls METHOD (qualified: org.example.Interface.Method) with PARAMS_JSON (an object,
                   default {}) and prints the reply's parameters as JSON on stdout
  validate-idl     checks interface files (- for stdin); errors as FILE:LINE:COLUMN: PROBLEM on stderr
  format           prints the interface in FILE in canonical form

Options of call:
  --more              ask for more replies: each reply is printed as it arrives (one per line, or as
                      a JSON text sequence with --json=seq)
  --oneway            ask for no reply; exits 0 once the call was written
  --upgrade           ask to upgrade the connection; after the confirming reply (printed on stderr)
                      stdin is copied to the socket and the socket to stdout, raw; EOF on stdin
                      half-closes the socket; exits when both directions ended
  --push-fd=PATH|NUM  send an fd with the call (repeatable, in order; PARAMS_JSON refers to them by
                      index 0, 1, …): a PATH is opened read-only, a NUM is an fd this command
                      inherited (e.g. "3<file" in the shell). Enables fd passing on the connection.
  --save-fds=DIR      write the content of each received readable file or pipe to DIR/fd-INDEX
                      (DIR/reply-N-fd-INDEX with --more)

Common options:
  --json=MODE     short (one line, default), pretty (indented) or seq (RFC 7464 records)
  --timeout=MS    give up after MS milliseconds (connecting included; --upgrade: until the reply)
  --help          show this help

Output: JSON on stdout; diagnostics on stderr. Each received fd is described on stderr as
"fd INDEX: TYPE TARGET" ("reply N fd INDEX: …" with --more), TYPE being file, directory, pipe,
socket, char-device, block-device or other, TARGET what /proc/self/fd shows (a path, pipe:[INODE],
socket:[INODE]), followed by " (saved to PATH)" with --save-fds. Received fds are then closed. A
progress line appears on stderr for long transfers, only when stderr is a terminal.

Exit codes:
  0  success
  1  the service answered with an error, printed on stderr as {"error": NAME, "parameters": {…}};
     validate-idl and format: the IDL is invalid; call: a received fd could not be saved (--save-fds)
  2  usage error (bad option, address, method name or PARAMS_JSON, unreadable FILE or --push-fd,
     --save-fds directory that cannot be created)
  3  connection or protocol failure (cannot connect, connection closed, malformed reply)
  4  timeout (--timeout elapsed)`;

const subcommands: ReadonlyMap<string, (args: readonly string[], io: CallIo) => Promise<number>> = new Map([
  ['info', runInfo],
  ['list-interfaces', runListInterfaces],
  ['introspect', runIntrospect],
  ['call', runCall],
  ['validate-idl', runValidateIdl],
  ['format', runFormat],
]);

/** `jsonrpc-fdpass varlink SUBCOMMAND …`: a Varlink client and IDL tools. */
export const varlinkVerb: Verb = {
  summary: 'talk to a Varlink service (info, list-interfaces, introspect, call) and check IDL files',
  help,
  async run(args, io) {
    const [name, ...rest] = args;
    if (name === undefined) throw new UsageError('a subcommand is required');
    const subcommand = subcommands.get(name);
    if (subcommand === undefined) throw new UsageError(`unknown subcommand ${JSON.stringify(name)}`);
    return subcommand(rest, io);
  },
};
