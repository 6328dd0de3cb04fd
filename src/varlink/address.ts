import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Transport } from '../transport/transport.js';
import { connect as unixConnect, socketPair } from '../transport/unix-socket.js';
import { NetTransport } from './net-transport.js';

/** A parsed Varlink address (UAPI.20 "Service Addresses", plus libvarlink's `exec:`). */
export type VarlinkAddress =
  /** `unix:/path`, or `unix:@name` for a Linux abstract socket (`path` keeps the `@`). */
  | { readonly kind: 'unix'; readonly path: string }
  /** `tcp:host:port`, `tcp:[v6]:port`. */
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  /** `exec:/path/to/binary`: start the service with a connected socket on fd 3 (socket activation). */
  | { readonly kind: 'exec'; readonly path: string };

/** An address that cannot be parsed or has an unsupported scheme. */
export class VarlinkAddressError extends Error {
  override readonly name = 'VarlinkAddressError';
  readonly code = 'ERR_VARLINK_ADDRESS';
}

/**
 * Parses a Varlink address. Everything from the first `;` on (address properties) is ignored, as
 * UAPI.20 asks of implementations that do not understand them.
 */
export function parseVarlinkAddress(address: string): VarlinkAddress {
  const semi = address.indexOf(';');
  const bare = semi < 0 ? address : address.slice(0, semi);
  const colon = bare.indexOf(':');
  if (colon < 0) throw new VarlinkAddressError(`not a Varlink address (no scheme): ${address}`);
  const scheme = bare.slice(0, colon);
  const rest = bare.slice(colon + 1);
  switch (scheme) {
    case 'unix':
      if (rest === '' || rest === '@') throw new VarlinkAddressError(`unix address without a path: ${address}`);
      return { kind: 'unix', path: rest };
    case 'tcp': {
      const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest);
      const port = m ? Number(m[3]) : NaN;
      if (!m || port > 65535) throw new VarlinkAddressError(`tcp address must be host:port: ${address}`);
      return { kind: 'tcp', host: m[1] ?? m[2]!, port };
    }
    case 'exec':
      if (rest === '') throw new VarlinkAddressError(`exec address without a program: ${address}`);
      return { kind: 'exec', path: rest };
    default:
      throw new VarlinkAddressError(`unsupported Varlink address scheme "${scheme}": ${address}`);
  }
}

/**
 * The program of an `exec:` address could not be started, or exited while calls waited for replies.
 * Without it the caller saw only the socket's ECONNRESET, which says nothing about the program.
 */
export class VarlinkExecError extends Error {
  override readonly name = 'VarlinkExecError';
  readonly code = 'ERR_VARLINK_EXEC';
  /** The program as the address names it. */
  readonly path: string;
  /** Its exit code, when it exited (127: not found, 126: not executable, as the shell reports). */
  readonly exitCode: number | null;
  /** The signal that ended it, when one did. */
  readonly signal: NodeJS.Signals | null;

  constructor(path: string, message: string, exit: { code: number | null; signal: NodeJS.Signals | null }, options?: ErrorOptions) {
    super(`exec:${path}: ${message}`, options);
    this.path = path;
    this.exitCode = exit.code;
    this.signal = exit.signal;
  }

  /** Describes how the service process of `path` ended. */
  static fromExit(path: string, code: number | null, signal: NodeJS.Signals | null, options?: ErrorOptions): VarlinkExecError {
    // The program runs through `sh -c 'exec "$0"'`, so a program that cannot be run shows as the
    // shell's exit code: 127 (not found) or 126 (found, but not executable).
    const message =
      code === 127
        ? 'the service program could not be started: not found (exit code 127)'
        : code === 126
          ? 'the service program could not be started: not executable (exit code 126)'
          : signal !== null
            ? `the service program was killed by ${signal}`
            : `the service program exited with code ${code}`;
    return new VarlinkExecError(path, message, { code, signal }, options);
  }
}

/** Options of {@link connectVarlinkAddress}. */
export interface ConnectAddressOptions {
  readonly signal?: AbortSignal;
}

/** A connected transport, and the service process when the address was `exec:`. */
export interface ConnectedAddress {
  readonly transport: Transport;
  /** The spawned service (for `exec:`); it exits when it sees the connection close. */
  readonly child?: ChildProcess;
  /** The program of an `exec:` address, for error messages. */
  readonly program?: string;
}

/**
 * Opens a connection to a Varlink address: Unix sockets through the native transport (fd passing
 * possible), TCP through `node:net` (no fds), `exec:` by spawning the service with one end of a
 * socketpair as an already connected activation socket (fd 3, `LISTEN_FDS=1`,
 * `LISTEN_FDNAMES=varlink`, `LISTEN_PID` = the service's pid). The service's stdout and stderr both
 * go to our stderr: they are its logs, and our stdout may be a script's data (the CLI's JSON).
 */
export async function connectVarlinkAddress(
  address: string | VarlinkAddress,
  options: ConnectAddressOptions = {},
): Promise<ConnectedAddress> {
  const parsed = typeof address === 'string' ? parseVarlinkAddress(address) : address;
  const { signal } = options;
  signal?.throwIfAborted();
  switch (parsed.kind) {
    case 'unix':
      return { transport: await unixConnect(parsed.path, signal ? { signal } : {}) };
    case 'tcp':
      return { transport: await connectTcp(parsed.host, parsed.port, signal) };
    case 'exec':
      return spawnService(parsed.path);
  }
}

function connectTcp(host: string, port: number, signal: AbortSignal | undefined): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, allowHalfOpen: true, ...(signal ? { signal } : {}) });
    socket.setNoDelay(true);
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new NetTransport(socket));
    });
  });
}

// Node cannot set LISTEN_PID to the child's pid before exec, so a shell sets it to its own pid ($$)
// and then execs the service, which keeps that pid.
const SET_LISTEN_PID = 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"';

/**
 * Refuses a program path that cannot be run before anything is spawned, so the caller gets the reason
 * (ENOENT, EACCES) instead of a socket that closes. Names without a `/` are looked up in PATH by the
 * shell; their failure shows as the exit code ({@link VarlinkExecError.fromExit}).
 */
function checkProgram(path: string): void {
  if (!path.includes('/')) return;
  try {
    if (statSync(path).isDirectory()) {
      throw new VarlinkExecError(path, 'the service program could not be started: it is a directory', { code: null, signal: null });
    }
    accessSync(path, constants.X_OK);
  } catch (err) {
    if (err instanceof VarlinkExecError) throw err;
    const code = (err as { code?: string }).code ?? 'error';
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : (err as Error).message;
    throw new VarlinkExecError(path, `the service program could not be started: ${why} (${code})`, { code: null, signal: null }, { cause: err });
  }
}

function spawnService(path: string): ConnectedAddress {
  checkProgram(path);
  const [ours, theirs] = socketPair();
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', SET_LISTEN_PID, path], {
      // The service's stdout goes to our stderr, never into our stdout's data. Index 3 of stdio becomes
      // the child's fd 3: the activation socket.
      stdio: ['ignore', 2, 'inherit', theirs.fd],
      env: { ...process.env, LISTEN_FDS: '1', LISTEN_FDNAMES: 'varlink' },
    });
  } catch (err) {
    ours.destroy();
    throw err;
  } finally {
    // The child has its own copy now (or failed to start): ours must go, or EOF would never arrive.
    theirs.destroy();
  }
  // A failed spawn shows up as an error event; the connection then sees EOF from the closed pair.
  child.once('error', () => ours.destroy());
  child.unref();
  return { transport: ours, child, program: path };
}
