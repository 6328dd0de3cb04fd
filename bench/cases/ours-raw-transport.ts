import type { Transport } from '../../src/transport/transport.js';
import type { BenchClient } from '../bench-client.js';
import type { OursModules } from '../ours-modules.js';
import { SMALL_BYTES } from '../payload.js';

/**
 * Our native transport alone: a {@link SMALL_BYTES}-byte message (and its fds) over `socketPair()`,
 * echoed by a `data` handler on the other end, with no framing and no JSON. Set against the full stack
 * it separates the addon's cost from the protocol's. `call` ignores its params: every call sends the
 * same bytes and resolves once as many came back.
 */
export function rawTransportInProcess(ours: OursModules): BenchClient {
  const { Fd } = ours.fd;
  const [client, server] = ours.unixSocket.socketPair();
  const message = Buffer.alloc(SMALL_BYTES, 0x78);
  const failed = (err: unknown): void => {
    throw err;
  };
  startRawEcho(ours, server, failed);

  let received = 0;
  let done: (() => void) | undefined;
  client.start({
    data(bytes, fds) {
      Fd.closeAll(fds);
      received += bytes.length;
      if (received >= SMALL_BYTES) {
        received -= SMALL_BYTES;
        done?.();
      }
    },
    end() {},
    error: failed,
    close() {},
  });

  return {
    call(_params, fds = []) {
      const back = new Promise<unknown>((resolve) => (done = () => resolve(undefined)));
      client.write(message, fds).catch(failed);
      return back;
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/**
 * Makes `server` write back every chunk it reads (closing the fds that came with it) and end when its
 * peer does. A read's chunk is a fresh buffer, so it can be written back as is.
 */
export function startRawEcho(ours: OursModules, server: Transport, failed: (err: unknown) => void): void {
  server.start({
    data(bytes, fds) {
      ours.fd.Fd.closeAll(fds);
      if (bytes.length > 0) server.write(bytes).catch(failed);
    },
    end: () => void server.end(),
    error: failed,
    close() {},
  });
}
