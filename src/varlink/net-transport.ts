import type { Socket } from 'node:net';
import type { FdLike } from '../transport/fd.js';
import { TransportClosedError, TransportStateError } from '../transport/system-error.js';
import type { PeerCredentials, Transport, TransportHandlers } from '../transport/transport.js';
import { VarlinkUsageError } from './varlink-usage-error.js';

/**
 * A {@link Transport} over a Node `net.Socket` (TCP), which cannot carry fds: writes with fds are
 * refused, reads never deliver any, and read boundaries are not needed (nothing can be misattached).
 * The socket must have been created with `allowHalfOpen: true`, so that the peer's EOF leaves our
 * writing side open for the replies still owed.
 */
export class NetTransport implements Transport {
  readonly #socket: Socket;
  #handlers: TransportHandlers | undefined;
  #destroyed = false;
  #reported = false;
  readonly #whenClosed: Promise<void>;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.pause();
    this.#whenClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => {
      this.#destroyed = true;
    });
  }

  start(handlers: TransportHandlers): void {
    if (this.#handlers !== undefined) throw new TransportStateError('transport already started');
    this.#handlers = handlers;
    const s = this.#socket;
    s.on('data', (bytes: Buffer) => handlers.data(bytes, []));
    s.on('end', () => {
      if (!this.#reported) {
        this.#reported = true;
        handlers.end();
      }
    });
    s.on('error', (err) => {
      if (!this.#reported) {
        this.#reported = true;
        handlers.error(err);
      }
    });
    s.on('drain', () => handlers.drain?.());
    s.once('close', () => handlers.close());
    if (s.destroyed) {
      queueMicrotask(() => handlers.close());
      return;
    }
    s.resume();
  }

  write(bytes: Uint8Array, fds?: readonly FdLike[]): Promise<void> {
    if (fds !== undefined && fds.length > 0) {
      return Promise.reject(new VarlinkUsageError('a TCP connection cannot carry file descriptors'));
    }
    if (this.#destroyed || this.#socket.destroyed) return Promise.reject(new TransportClosedError());
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  get writableLength(): number {
    return this.#socket.writableLength;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    if (this.#handlers !== undefined) this.#socket.resume();
  }

  setReadBoundary(): void {
    // No fds on TCP, so a read spanning two messages attaches nothing wrongly; upgrades hand over the
    // bytes read past the reply in process.
  }

  async end(): Promise<void> {
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => this.#socket.end(() => resolve()));
  }

  destroy(err?: Error): void {
    this.#destroyed = true;
    this.#socket.destroy(err);
  }

  async close(): Promise<void> {
    if (!this.#socket.destroyed) {
      await this.end();
      this.#socket.destroy();
    }
    await this.#whenClosed;
  }

  get closed(): boolean {
    return this.#destroyed || this.#socket.destroyed;
  }

  peerCredentials(): PeerCredentials | null {
    return null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
