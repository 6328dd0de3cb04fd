#!/usr/bin/env node
import { runCli } from './run-cli.js';

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
// Servers keep handles (sockets, signal listeners) alive; once the verb returned, the work is done.
process.exit(code);
