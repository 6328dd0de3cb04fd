import { TransportStateError } from '../transport/system-error.js';
import { Fd, type FdLike } from '../transport/fd.js';
import type { PeerCredentials, Transport, TransportHandlers, WriteOptions } from '../transport/transport.js';

/** Bytes queued before `start` beyond which reading pauses. */
const HANDOFF_HIGH_WATER = 1 << 20;

type QueuedEvent =
  | { readonly kind: 'data'; readonly bytes: Buffer; readonly fds: Fd[] }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly err: Error }
  | { readonly kind: 'close' }
  | { readonly kind: 'drain' };

/**
 * The transport of a connection after a Varlink upgrade: the same socket, handed to a new owner.
 *
 * The underlying transport was already started by the Varlink connection, so this wrapper receives its
 * events (via `deliver`) and queues them until the new owner calls `start`.
 * Everything else goes straight to the underlying transport. Queued fds are closed if the wrapper is
 * destroyed before it was started. Past `HANDOFF_HIGH_WATER` queued bytes the underlying
 * transport is paused until `start`, so a peer that floods a connection nobody reads yet meets
 * backpressure instead of filling memory.
 */
export class HandoffTransport implements Transport {
  readonly #inner: Transport;
  #handlers: TransportHandlers | undefined;
  #queue: QueuedEvent[] = [];
  #queuedBytes = 0;
  /** Reading was paused because the queue passed the high-water mark. */
  #heldBack = false;
  /** The new owner paused reading (before or after start). */
  #ownerPaused = false;

  /** @internal Created by the Varlink connection on detach. */
  constructor(inner: Transport) {
    this.#inner = inner;
  }

  /** @internal An event of the underlying transport. */
  deliver(event: QueuedEvent): void {
    const h = this.#handlers;
    if (h === undefined) {
      if (event.kind === 'drain') return; // nothing was written through this wrapper yet
      this.#queue.push(event);
      if (event.kind === 'data') {
        this.#queuedBytes += event.bytes.length;
        if (this.#queuedBytes > HANDOFF_HIGH_WATER && !this.#heldBack) {
          this.#heldBack = true;
          this.#inner.pause();
        }
      }
      if (event.kind === 'close') this.#dropQueuedFds();
      return;
    }
    dispatch(h, event);
  }

  start(handlers: TransportHandlers): void {
    if (this.#handlers !== undefined) throw new TransportStateError('transport already started');
    this.#handlers = handlers;
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const event of queued) dispatch(handlers, event);
    if (this.#heldBack) {
      this.#heldBack = false;
      if (!this.#ownerPaused && !this.#inner.closed) this.#inner.resume();
    }
  }

  write(bytes: Uint8Array, fds?: readonly FdLike[], options?: WriteOptions): Promise<void> {
    return this.#inner.write(bytes, fds, options);
  }

  get writableLength(): number {
    return this.#inner.writableLength;
  }

  pause(): void {
    this.#ownerPaused = true;
    this.#inner.pause();
  }

  resume(): void {
    this.#ownerPaused = false;
    if (!this.#heldBack) this.#inner.resume();
  }

  setReadBoundary(byte: number | null): void {
    this.#inner.setReadBoundary(byte);
  }

  end(): Promise<void> {
    return this.#inner.end();
  }

  destroy(err?: Error): void {
    if (this.#handlers === undefined) this.#dropQueuedFds();
    this.#inner.destroy(err);
  }

  async close(): Promise<void> {
    if (this.#handlers === undefined) this.#dropQueuedFds();
    await this.#inner.close();
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  peerCredentials(): PeerCredentials | null {
    return this.#inner.peerCredentials();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #dropQueuedFds(): void {
    for (const event of this.#queue) if (event.kind === 'data') Fd.closeAll(event.fds);
    this.#queue = this.#queue.filter((e) => e.kind !== 'data');
  }
}

function dispatch(h: TransportHandlers, event: QueuedEvent): void {
  switch (event.kind) {
    case 'data':
      h.data(event.bytes, event.fds);
      return;
    case 'end':
      h.end();
      return;
    case 'error':
      h.error(event.err);
      return;
    case 'close':
      h.close();
      return;
    case 'drain':
      h.drain?.();
      return;
  }
}
