import type { BenchClient } from '../bench-client.js';
import { ECHO_METHOD } from '../payload.js';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import type { JsonRpcParams } from '../../src/jsonrpc/message.js';
import type { Transport } from '../../src/transport/transport.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import { listenPeers, type JsonRpcServer } from '../../src/jsonrpc/server.js';

/**
 * Our full stack: `JsonRpcPeer.request` → fdpass channel → UnixSocket → the other peer's `echo`
 * handler → response. Fds that come with a request are closed by the library once the handler settled.
 */

const handlers = { [ECHO_METHOD]: (params: unknown) => params };

/** A peer on `transport` that answers `echo` with its params. */
function echoPeer(transport: Transport): JsonRpcPeer {
  return new JsonRpcPeer(transport, { handlers });
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

/** Serves `echo` on `path` with `listenPeers`, as an application would. */
export function serveOurs(path: string): Promise<JsonRpcServer> {
  return listenPeers(path, { handlers });
}

/** A peer connected to an `echo` server at `path` with `connectPeer`. */
export async function connectOurs(path: string): Promise<BenchClient> {
  return clientOf(await connectPeer(path), async () => {});
}
