import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BenchClient } from '../bench-client.js';
import { socketPath } from '../socket-path.js';
import { NdjsonClient, ndjsonEchoServer, type SendBytes } from './ndjson-rpc.js';

/**
 * Baseline: usocket 1.1.0 (nan addon, the only npm package passing fds over stream sockets) with the
 * same newline-delimited JSON-RPC as the `net` baseline. Received fds are closed as they arrive.
 */

/** The parts of usocket's (untyped, CommonJS) API the bench uses. */
interface USocket {
  on(event: 'readable' | 'connected', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'connected' | 'close', listener: () => void): this;
  read(size: null, fdCount: null): { data: Buffer | null; fds: number[] } | null;
  write(chunk: Buffer | { data: Buffer; fds: readonly number[] }): boolean;
  end(): void;
  destroy(): void;
}
interface UServer {
  on(event: 'connection', listener: (socket: USocket) => void): this;
  once(event: 'listening', listener: () => void): this;
  listen(path: string, callback?: () => void): void;
  close(): void;
}
interface USocketModule {
  USocket: new () => USocket & { connect(path: string, callback?: () => void): void };
  UServer: new () => UServer;
}

const usocket = createRequire(import.meta.url)('usocket') as USocketModule;

/** Reads everything available (bytes and fds) whenever the socket says so; fds are closed here. */
function onReceive(socket: USocket, bytes: (chunk: Buffer) => void): void {
  socket.on('readable', () => {
    for (;;) {
      const got = socket.read(null, null);
      if (got === null || (got.data === null && got.fds.length === 0)) return;
      for (const fd of got.fds) closeSync(fd);
      if (got.data !== null) bytes(got.data);
    }
  });
}

function sender(socket: USocket): SendBytes {
  return (bytes, fds) => void socket.write(fds && fds.length > 0 ? { data: bytes, fds } : bytes);
}

/** Listens on `path` and echoes every request. */
export async function serveUsocket(path: string): Promise<UServer> {
  const server = new usocket.UServer();
  server.on('connection', (socket) => {
    socket.on('error', () => socket.destroy());
    onReceive(socket, ndjsonEchoServer(sender(socket)));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

/** A client connected to a usocket server at `path`. */
export async function connectUsocket(path: string, onClose: () => Promise<void> = async () => {}): Promise<BenchClient> {
  const socket = new usocket.USocket();
  // Listeners go on only after `connected`: usocket aborts on a read before it is connected.
  await new Promise<void>((resolve) => socket.connect(path, resolve));
  const rpc = new NdjsonClient(sender(socket));
  onReceive(socket, (chunk) => rpc.receive(chunk));
  return {
    call: (params, fds) => rpc.call(params, fds),
    async close() {
      // usocket emits `close` only after both sides shut down; destroy is its reliable way out.
      socket.destroy();
      await onClose();
    },
  };
}

/** Server and client in this process, over a fresh socket path. */
export async function usocketInProcess(): Promise<BenchClient> {
  const where = socketPath('usocket');
  const server = await serveUsocket(where.path);
  return connectUsocket(where.path, async () => {
    server.close();
    where.remove();
  });
}
