import { elapsedUs, nowNs } from '../measure.js';
import type { OursModules } from '../ours-modules.js';
import { BULK_BYTES, MIB } from '../payload.js';
import type { Round } from '../workloads.js';
import { startRawEcho } from './ours-raw-transport.js';

/**
 * Our transport alone moving the 16 MiB of the bulk case as raw bytes (no framing, no JSON), echoed
 * chunk by chunk by the other end of a `socketPair()`. Set against `net` doing the same, it shows what
 * the addon costs for bulk data, apart from the JSON work of the full-stack echo.
 */
export function openRawTransportBulk(ours: OursModules, echoes: number): { round: Round; close(): Promise<void> } {
  const [client, server] = ours.unixSocket.socketPair();
  const failed = (err: unknown): void => {
    throw err;
  };
  startRawEcho(ours, server, failed);
  let received = 0;
  let done: (() => void) | undefined;
  client.start({
    data(bytes, fds) {
      ours.fd.Fd.closeAll(fds);
      received += bytes.length;
      if (received >= BULK_BYTES) done?.();
    },
    end() {},
    error: failed,
    close() {},
  });

  const payload = Buffer.alloc(BULK_BYTES, 0x78);
  return {
    /** MiB of payload echoed per second. */
    async round() {
      const start = nowNs();
      for (let i = 0; i < echoes; i++) {
        received = 0;
        const back = new Promise<void>((resolve) => (done = resolve));
        client.write(payload).catch(failed);
        await back;
      }
      return (BULK_BYTES * echoes) / MIB / (elapsedUs(start) / 1e6);
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}
