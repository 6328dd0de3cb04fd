#!/usr/bin/env node
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// Servers keep handles (sockets, signal listeners) alive; once the verb returned, the work is done.
process.exit(code);
