import { FdPassChannel } from '../../src/fdpass/channel.js';
import type { Fd } from '../../src/transport/fd.js';
import { memoryTransportPair, type MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { JsonRpcPeer, type PeerOptions } from '../../src/jsonrpc/peer.js';

/** Reads cut at seeded pseudo-random points, so messages straddle reads in ways that repeat per run. */
export function randomSplits(seed = 1): MemoryTransportOptions {
  let state = seed;
  return {
    splitter: (available) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return 1 + (state % available);
    },
  };
}

/**
 * Two peers (client, server) over an in-memory transport pair that splits bytes and batches fds like a
 * socket; reads are cut at random points unless `transport` says otherwise.
 */
export function peerPair(
  serverOptions: PeerOptions = {},
  clientOptions: PeerOptions = {},
  transport: MemoryTransportOptions = randomSplits(),
): [JsonRpcPeer, JsonRpcPeer] {
  const [a, b] = memoryTransportPair(transport);
  return [new JsonRpcPeer(a, clientOptions), new JsonRpcPeer(b, serverOptions)];
}

/** One message seen by a {@link RawEnd}. */
export interface RawMessage {
  readonly value: Record<string, unknown>;
  readonly fds: Fd[];
}

/**
 * The far end of a peer, driven by hand: sends arbitrary bytes (with fds) and collects what arrives, so
 * tests can send what a well-behaved peer never would and see exactly what comes back.
 */
export class RawEnd {
  readonly transport: Transport;
  readonly channel: FdPassChannel;
  readonly received: RawMessage[] = [];
  closeError: Error | undefined;
  closed = false;
  #waiters: Array<() => void> = [];

  constructor(transport: Transport) {
    this.transport = transport;
    this.channel = new FdPassChannel(transport);
    this.channel.start({
      message: (value, fds) => {
        this.received.push({ value: value as Record<string, unknown>, fds });
        this.#wake();
      },
      close: (error) => {
        this.closed = true;
        this.closeError = error;
        this.#wake();
      },
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Writes raw JSON text (its fds ride the first byte). */
  write(text: string, fds: readonly Fd[] = []): Promise<void> {
    return this.transport.write(Buffer.from(text), fds, { filler: 0x20 });
  }

  /** Resolves once `count` messages arrived in total. */
  async waitFor(count: number): Promise<RawMessage[]> {
    while (this.received.length < count) {
      if (this.closed) throw new Error(`closed after ${this.received.length} of ${count} messages`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.received;
  }

  /** Resolves once the channel closed. */
  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** A peer and a hand-driven far end over an in-memory pair. */
export function peerAndRaw(options: PeerOptions = {}, transport: MemoryTransportOptions = randomSplits()): [JsonRpcPeer, RawEnd] {
  const [a, b] = memoryTransportPair(transport);
  return [new JsonRpcPeer(a, options), new RawEnd(b)];
}
