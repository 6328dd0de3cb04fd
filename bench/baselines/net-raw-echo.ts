import { once } from 'node:events';
import net from 'node:net';
import { elapsedUs, nowNs } from '../measure.js';
import { BULK_BYTES, MIB } from '../payload.js';
import { socketPath } from '../socket-path.js';
import type { Round } from '../workloads.js';

/**
 * Reference for the bulk case: node `net` echoing 16 MiB of raw bytes (no framing, no JSON), server and
 * client in this process. The best a Node program can move through a Unix socket.
 */
export async function openNetRawBulk(echoes: number): Promise<{ round: Round; close(): Promise<void> }> {
  const where = socketPath('net-raw');
  const server = net.createServer((socket) => socket.pipe(socket));
  server.listen(where.path);
  await once(server, 'listening');
  const socket = net.connect(where.path);
  await once(socket, 'connect');

  const payload = Buffer.alloc(BULK_BYTES, 0x78);
  let received = 0;
  let done: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= BULK_BYTES) done?.();
  });

  return {
    /** MiB of payload echoed per second. */
    async round() {
      const start = nowNs();
      for (let i = 0; i < echoes; i++) {
        received = 0;
        const back = new Promise<void>((resolve) => (done = resolve));
        socket.write(payload);
        await back;
      }
      return (BULK_BYTES * echoes) / MIB / (elapsedUs(start) / 1e6);
    },
    async close() {
      socket.end();
      await once(socket, 'close');
      server.close();
      await once(server, 'close');
      where.remove();
    },
  };
}
