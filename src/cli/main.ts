#!/usr/bin/env node
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.js';

// A reader that goes away (`… | head`) fails our next write with EPIPE, emitted as an 'error' event:
// unhandled, node prints a stack trace. Say it in one line instead; the output is lost, so it failed.
function stdoutFailed(error: NodeJS.ErrnoException): never {
  process.stderr.write(`jsonrpc-fdpass: cannot write to stdout: ${error.code ?? error.message}\n`);
  process.exit(ExitCode.Failure);
}
process.stdout.on('error', stdoutFailed);

/** Resolves once everything written to `stream` so far left the process (or the stream failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// Writes to a pipe are asynchronous: process.exit() drops what the reader has not taken yet (a reply
// larger than the pipe buffer was cut at 64 KiB, exit 0).
await flushed(process.stdout);
await flushed(process.stderr);
// The error event of a last write that failed may come a tick later than this: exiting 0 would hide it.
const failed: unknown = process.stdout.errored;
if (failed instanceof Error) stdoutFailed(failed);
// Servers keep handles (sockets, signal listeners) alive; once the verb returned, the work is done.
process.exit(code);
