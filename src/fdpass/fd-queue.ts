import type { Fd } from '../transport/fd.js';

/** The fds of one read, with where that read's bytes began and ended. */
interface Batch {
  fds: Fd[];
  /** Stream offset of the read's first byte. */
  readStart: number;
  /** Stream offset of the read's last byte that is not filler, or -1 when it had none. */
  lastNonFiller: number;
}

/**
 * The receiver's FIFO of fds, remembering which read brought each batch.
 *
 * A read's fds belong to a send whose first byte lies in that read. A batch is available to a message
 * when its read began at or before the message's first byte (the fds rode that byte, or came earlier),
 * or when the read brought nothing but filler past the message's end (a continuation batch; filler is
 * the codec's: whitespace in JSON, 0xc1 in msgpack). A read that began after the message started and
 * also carries the next message's bytes holds the next message's fds: that batch (and everything after
 * it) is not available. This closes the "fd stealing" gap of a receiver that only counts queued fds.
 */
export class FdQueue {
  #batches: Batch[] = [];
  #head = 0;
  #size = 0;

  /** Fds queued. */
  get size(): number {
    return this.#size;
  }

  /** Enqueues the fds of one read. */
  push(fds: Fd[], readStart: number, lastNonFiller: number): void {
    if (fds.length === 0) return;
    this.#batches.push({ fds, readStart, lastNonFiller });
    this.#size += fds.length;
  }

  /**
   * How many fds from the front may belong to the message at stream offsets [`start`, `end`),
   * counting no further than `want`.
   */
  available(start: number, end: number, want: number): number {
    let n = 0;
    for (let i = this.#head; i < this.#batches.length && n < want; i++) {
      const batch = this.#batches[i]!;
      if (batch.readStart > start && batch.lastNonFiller >= end) break;
      n += batch.fds.length;
    }
    return n;
  }

  /** Dequeues `count` fds from the front (the caller checked {@link available}). */
  take(count: number): Fd[] {
    const out: Fd[] = [];
    while (out.length < count) {
      const batch = this.#batches[this.#head]!;
      const need = count - out.length;
      if (batch.fds.length <= need) {
        out.push(...batch.fds);
        this.#batches[this.#head++] = EMPTY;
      } else {
        out.push(...batch.fds.splice(0, need));
      }
    }
    this.#size -= count;
    if (this.#head > 32 && this.#head * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  /** Closes every queued fd and empties the queue. */
  closeAll(): void {
    for (let i = this.#head; i < this.#batches.length; i++) for (const fd of this.#batches[i]!.fds) fd.close();
    this.#batches = [];
    this.#head = 0;
    this.#size = 0;
  }
}

const EMPTY: Batch = { fds: [], readStart: -1, lastNonFiller: -1 };
