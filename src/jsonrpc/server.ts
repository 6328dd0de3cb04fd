import type { Transport } from '../transport/transport.js';
import { listen, type ListenAddress, type UnixListener } from '../transport/unix-listener.js';
import type { Handler } from './handler.js';
import { checkPeerOptions, JsonRpcPeer, type CloseOptions, type PeerOptions } from './peer.js';

/** Options of {@link listenPeers}: peer options apply to every connection. */
export interface ServerOptions extends PeerOptions {
  /** Handlers registered on every connection. */
  readonly handlers?: Readonly<Record<string, Handler>>;
  /** Called with each new peer before any of its messages is dispatched; a throw closes that peer only. */
  readonly setup?: (peer: JsonRpcPeer) => void;
  /** Permission bits of the socket file (the socket's access control). */
  readonly mode?: number;
  /** listen(2) backlog. */
  readonly backlog?: number;
  /** fds per sendmsg on accepted connections (default 253, halved on EINVAL); see `UnixSocketOptions`. */
  readonly maxFdsPerSend?: number;
  /** Aborts listening; the server then closes like {@link JsonRpcServer.close}. */
  readonly signal?: AbortSignal;
}

/**
 * Accepts connections and runs a {@link JsonRpcPeer} on each. One connection's failure never affects
 * the others or the process.
 */
export class JsonRpcServer implements AsyncDisposable {
  readonly #listener: UnixListener;
  readonly #options: ServerOptions;
  readonly #peers = new Set<JsonRpcPeer>();
  readonly #connectionListeners = new Set<(peer: JsonRpcPeer) => void>();
  readonly #errorListeners = new Set<(error: Error) => void>();
  readonly #acceptLoop: Promise<void>;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link listenPeers}. */
  constructor(listener: UnixListener, options: ServerOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#acceptLoop = this.#accept();
  }

  /** The connections currently open. */
  get peers(): ReadonlySet<JsonRpcPeer> {
    return this.#peers;
  }

  /** Calls `listener` with each new peer (after `setup`). Returns an unsubscribe. */
  onConnection(listener: (peer: JsonRpcPeer) => void): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  /** Calls `listener` when accepting fails or a connection closes with an error. Returns an unsubscribe. */
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  async #accept(): Promise<void> {
    try {
      for await (const socket of this.#listener) {
        if (this.#closing) {
          socket.destroy();
          continue;
        }
        this.#adopt(socket);
      }
    } catch (error) {
      if (!this.#closing) this.#emitError(error);
    }
  }

  #adopt(socket: Transport): void {
    let peer: JsonRpcPeer;
    try {
      peer = new JsonRpcPeer(socket, this.#options);
    } catch (error) {
      socket.destroy();
      this.#emitError(error);
      return;
    }
    this.#peers.add(peer);
    peer.onClose((error) => {
      this.#peers.delete(peer);
      if (error) this.#emitError(error);
    });
    try {
      this.#options.setup?.(peer);
      for (const listener of this.#connectionListeners) listener(peer);
    } catch (error) {
      peer.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #emitError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    for (const listener of this.#errorListeners) {
      try {
        listener(err);
      } catch {
        // An error listener's own failure must not take the server down.
      }
    }
  }

  /**
   * Stops accepting, then closes every connection gracefully: running handlers answer, replies are
   * flushed. Aborting `options.signal` destroys the connections still open.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.#listener.close();
      await this.#acceptLoop;
    })();
    return (async () => {
      await this.#closing;
      await Promise.all([...this.#peers].map((peer) => peer.close(options)));
    })();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Listens on a Unix socket and serves jsonrpc-fdpass on every connection.
 *
 * @example
 * await using server = await listenPeers('/run/echo.sock', { handlers: { echo: (params) => params } });
 */
export async function listenPeers(address: ListenAddress, options: ServerOptions = {}): Promise<JsonRpcServer> {
  const { mode, backlog, signal, maxFdsPerSend } = options;
  // Bad peer options would otherwise fail every connection, one by one, after the server started.
  checkPeerOptions(options);
  const listener = await listen(address, {
    ...(mode !== undefined ? { mode } : {}),
    ...(backlog !== undefined ? { backlog } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(maxFdsPerSend !== undefined ? { maxFdsPerSend } : {}),
  });
  const server = new JsonRpcServer(listener, options);
  if (signal) {
    if (signal.aborted) void server.close();
    else signal.addEventListener('abort', () => void server.close(), { once: true });
  }
  return server;
}
