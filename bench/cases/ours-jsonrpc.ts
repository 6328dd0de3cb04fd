import type { BenchClient } from '../bench-client.js';
import type { OursModules } from '../ours-modules.js';
import { ECHO_METHOD } from '../payload.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import type { JsonRpcParams } from '../../src/jsonrpc/message.js';
import type { JsonRpcServer } from '../../src/jsonrpc/server.js';

/**
 * Our full stack: `JsonRpcPeer.request` → fdpass channel → UnixSocket → the other peer's `echo`
 * handler → response. Fds that come with a request are closed by the library once the handler settled.
 */

const handlers = {
  [ECHO_METHOD]: (params: unknown) => params,
  // For checking (untimed) that a message's fds all reach the handler.
  fdCount: (_params: unknown, ctx: { fds: readonly unknown[] }) => ctx.fds.length,
};

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
export function oursInProcess(ours: OursModules): BenchClient {
  const [a, b] = ours.unixSocket.socketPair();
  const server = new ours.peer.JsonRpcPeer(b, { handlers });
  return clientOf(new ours.peer.JsonRpcPeer(a), () => server.close());
}

/** Serves `echo` on `path` with `listenPeers`, as an application would. */
export function serveOurs(ours: OursModules, path: string): Promise<JsonRpcServer> {
  return ours.server.listenPeers(path, { handlers });
}

/** A peer connected to an `echo` server at `path` with `connectPeer`. */
export async function connectOurs(ours: OursModules, path: string): Promise<BenchClient> {
  return clientOf(await ours.connectPeer.connectPeer(path), async () => {});
}

/** How many of `fds` one request delivers to the handler, so the many-fds timing is known to be honest. */
export async function fdsDelivered(ours: OursModules, fds: readonly number[]): Promise<number> {
  const [a, b] = ours.unixSocket.socketPair();
  const server = new ours.peer.JsonRpcPeer(b, { handlers });
  const client = new ours.peer.JsonRpcPeer(a);
  try {
    const { result } = await client.request<number>('fdCount', [], { fds });
    return result;
  } finally {
    await client.close();
    await server.close();
  }
}
