import type { BenchClient } from '../bench-client.js';
import { ECHO_METHOD } from '../payload.js';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import type { JsonRpcParams } from '../../src/jsonrpc/message.js';
import type { Transport } from '../../src/transport/transport.js';
import { connect, socketPair } from '../../src/transport/unix-socket.js';
import { listen, type UnixListener } from '../../src/transport/unix-listener.js';

/**
 * Our full stack: `JsonRpcPeer.request` → fdpass channel → UnixSocket → the other peer's `echo`
 * handler → response. Fds that come with a request are closed by the library once the handler settled.
 */

/** A peer on `transport` that answers `echo` with its params. */
function echoPeer(transport: Transport): JsonRpcPeer {
  return new JsonRpcPeer(transport, { handlers: { [ECHO_METHOD]: (params) => params } });
}

function clientOf(peer: JsonRpcPeer, after: () => Promise<void>): BenchClient {
  return {
    async call(params, fds = []) {
      const { result, fds: received } = await peer.request(ECHO_METHOD, params as JsonRpcParams, { fds });
      for (const fd of received) fd.close();
      return result;
    },
    async close() {
      await peer.close();
      await after();
    },
  };
}

/** Both peers in this process over `socketPair()`. */
export function oursInProcess(): BenchClient {
  const [a, b] = socketPair();
  const server = echoPeer(b);
  return clientOf(new JsonRpcPeer(a), () => server.close());
}

/** Serves `echo` on `path`, one peer per accepted connection, until the listener closes. */
export async function serveOurs(path: string): Promise<UnixListener> {
  const listener = await listen(path);
  void (async () => {
    for await (const socket of listener) echoPeer(socket);
  })();
  return listener;
}

/** A peer connected to an `echo` server at `path`. */
export async function connectOurs(path: string): Promise<BenchClient> {
  return clientOf(new JsonRpcPeer(await connect(path)), async () => {});
}
