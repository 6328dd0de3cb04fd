import { createServer, type Server } from 'node:net';
import { listen as unixListen, isListeningSocket, type UnixListener } from '../transport/unix-listener.js';
import { UnixSocket } from '../transport/unix-socket.js';
import { parseVarlinkAddress, VarlinkAddressError } from './address.js';
import { NetTransport } from './net-transport.js';
import { activationFds, varlinkActivationFd } from './socket-activation.js';
import type { VarlinkServeOptions, VarlinkService } from './varlink-service.js';

/** Options of {@link listenVarlink}. */
export interface VarlinkListenOptions extends VarlinkServeOptions {
  /** chmod(2) mode of a socket file. */
  readonly mode?: number;
  /** Aborting stops listening. */
  readonly signal?: AbortSignal;
}

/** Where a service listens: a Varlink address (`unix:`, `tcp:`), or an fd (listening or connected). */
export type VarlinkListenAddress = string | { readonly fd: number };

/**
 * A service listening for connections. {@link close} stops accepting and closes the connections this
 * server accepted (other servers and `serve` calls of the same service are not touched).
 */
export class VarlinkServer implements AsyncDisposable {
  /** The address listened on, or `undefined` for an fd. */
  readonly address: string | undefined;
  readonly #stop: () => Promise<void>;
  readonly #done: Promise<void>;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link listenVarlink} or `VarlinkService.listen`. */
  constructor(address: string | undefined, stop: () => Promise<void>, done: Promise<void>) {
    this.address = address;
    this.#stop = stop;
    this.#done = done;
  }

  /** Resolves once the server stopped (closed, or its only connection ended). */
  get closed(): Promise<void> {
    return this.#done;
  }

  /** Stops accepting and closes the connections this server accepted. */
  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Serves `service` on `address`: `unix:/path`, `unix:@abstract`, `tcp:host:port`, or `{ fd }` for a
 * socket passed in (a listening socket is accepted on; a connected one is served as the only
 * connection).
 */
export async function listenVarlink(
  service: VarlinkService,
  address: VarlinkListenAddress,
  options: VarlinkListenOptions = {},
): Promise<VarlinkServer> {
  const { mode, signal, ...rest } = options;
  signal?.throwIfAborted();
  // This server's connections, closed by its close() and by nothing else.
  const stopConnections = new AbortController();
  const serveOptions: VarlinkServeOptions = { ...rest, signal: stopConnections.signal };
  const connections = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    connections.add(p);
    void p.finally(() => connections.delete(p));
  };
  const closeConnections = async (): Promise<void> => {
    stopConnections.abort();
    await Promise.all(connections);
  };
  if (typeof address !== 'string') {
    if (!isListeningSocket(address.fd)) {
      const done = service.serve(UnixSocket.fromFd(address.fd), serveOptions);
      track(done);
      return new VarlinkServer(undefined, closeConnections, done);
    }
    return acceptLoop(await unixListen(address, signal ? { signal } : {}), undefined, (socket) => track(service.serve(socket, serveOptions)), closeConnections);
  }
  const parsed = parseVarlinkAddress(address);
  switch (parsed.kind) {
    case 'unix': {
      const listener = await unixListen(parsed.path, {
        ...(mode !== undefined ? { mode } : {}),
        ...(signal ? { signal } : {}),
      });
      return acceptLoop(listener, address, (socket) => track(service.serve(socket, serveOptions)), closeConnections);
    }
    case 'tcp': {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
        socket.setNoDelay(true);
        track(service.serve(new NetTransport(socket), serveOptions));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(parsed.port, parsed.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return tcpServer(server, address, signal, closeConnections);
    }
    case 'exec':
      throw new VarlinkAddressError(`cannot listen on an exec: address: ${address}`);
  }
}

function acceptLoop(
  listener: UnixListener,
  address: string | undefined,
  serve: (socket: UnixSocket) => void,
  closeConnections: () => Promise<void>,
): VarlinkServer {
  const done = (async () => {
    try {
      for await (const socket of listener) serve(socket);
    } catch {
      // A listener failure ends accepting; close() still tidies up.
    }
  })();
  return new VarlinkServer(
    address,
    async () => {
      await listener.close();
      await done;
      await closeConnections();
    },
    done,
  );
}

function tcpServer(server: Server, address: string, signal: AbortSignal | undefined, closeConnections: () => Promise<void>): VarlinkServer {
  const done = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    server.close();
    await closeConnections();
    await done;
  };
  const varlinkServer = new VarlinkServer(address, stop, done);
  signal?.addEventListener('abort', () => void varlinkServer.close(), { once: true });
  return varlinkServer;
}

/**
 * Serves `service` on the socket a service manager passed (systemd socket activation: `LISTEN_FDS`,
 * `LISTEN_PID`, `LISTEN_FDNAMES`; the fd named `varlink`, or the only one). The variables are removed
 * from the environment. Returns `undefined` when this process was not socket-activated.
 */
export async function listenVarlinkActivated(
  service: VarlinkService,
  options: VarlinkListenOptions = {},
): Promise<VarlinkServer | undefined> {
  const fds = activationFds(process.env, { unset: true });
  if (fds === undefined) return undefined;
  const fd = varlinkActivationFd(fds);
  if (fd === undefined) return undefined;
  return listenVarlink(service, { fd }, options);
}
