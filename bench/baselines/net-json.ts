import { once } from 'node:events';
import net from 'node:net';
import type { BenchClient } from '../bench-client.js';
import { socketPath } from '../socket-path.js';
import { NdjsonClient, ndjsonEchoServer } from './ndjson-rpc.js';

/**
 * Baseline: node core `net` over a Unix socket with newline-delimited JSON-RPC (no fds; core cannot
 * pass them). What a Node user gets today without fd passing.
 */

/** Listens on `path` and echoes every request. */
export async function serveNetJson(path: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.setNoDelay?.(true);
    socket.on('data', ndjsonEchoServer((bytes) => void socket.write(bytes)));
    socket.on('error', () => socket.destroy());
  });
  server.listen(path);
  await once(server, 'listening');
  return server;
}

/** A client connected to a `net` + JSON server at `path`. */
export async function connectNetJson(path: string, onClose: () => Promise<void> = async () => {}): Promise<BenchClient> {
  const socket = net.connect(path);
  await once(socket, 'connect');
  const rpc = new NdjsonClient((bytes) => void socket.write(bytes));
  socket.on('data', (chunk: Buffer) => rpc.receive(chunk));
  return {
    call: (params) => rpc.call(params),
    async close() {
      socket.end();
      await once(socket, 'close');
      await onClose();
    },
  };
}

/** Server and client in this process, over a fresh socket path. */
export async function netJsonInProcess(): Promise<BenchClient> {
  const where = socketPath('net-json');
  const server = await serveNetJson(where.path);
  return connectNetJson(where.path, async () => {
    server.close();
    await once(server, 'close');
    where.remove();
  });
}
