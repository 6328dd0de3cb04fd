import { connect } from '../transport/unix-socket.js';
import { JsonRpcPeer, type PeerOptions } from './peer.js';

/** Options of {@link connectPeer}. */
export interface ConnectPeerOptions extends PeerOptions {
  /** Aborts the connection attempt. */
  readonly signal?: AbortSignal;
}

/** Connects to the jsonrpc-fdpass server listening on the Unix socket at `path`. */
export async function connectPeer(path: string, options: ConnectPeerOptions = {}): Promise<JsonRpcPeer> {
  const socket = await connect(path, options.signal ? { signal: options.signal } : {});
  return new JsonRpcPeer(socket, options);
}
