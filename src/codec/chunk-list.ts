/**
 * The buffered part of a byte stream: the chunks it arrived in, addressed by stream offset, with a read
 * cursor. The bookkeeping shared by the resumable framers (`JsonScanner`, `MsgpackSkipper`, `NulFramer`).
 *
 * A framer reads the cursor's chunk ({@link ChunkList.chunk}) into a local, steps through it from
 * {@link ChunkList.offset} with a local index, then says how far it got ({@link ChunkList.seek},
 * {@link ChunkList.nextChunk}); its own state machine stays in the framer. Filler between values is
 * skipped here ({@link ChunkList.skip}). A completed value is copied out once ({@link ChunkList.slice})
 * and the chunks wholly before it are released ({@link ChunkList.dropBefore}).
 *
 * @internal
 */
export class ChunkList {
  /** Buffered chunks; `#chunks[#head]` is the oldest still needed. */
  #chunks: Buffer[] = [];
  #head = 0;
  /** Stream offset of `#chunks[#head][0]`. */
  #headStart = 0;
  /** Stream offset just past the last byte pushed. */
  #received = 0;

  /** Read cursor: chunk index, offset within it, and the matching stream offset. */
  #cursor = 0;
  #off = 0;
  #pos = 0;

  /** Where small chunks of an unfinished value are copied (see {@link ChunkList.push}). */
  #copies = new RetainedCopies();

  /** Stream offset just past the last byte pushed (total bytes pushed). */
  get received(): number {
    return this.#received;
  }

  /** Bytes held: everything from the oldest chunk still needed to the end of what was pushed. */
  get bufferedBytes(): number {
    return this.#received - this.#headStart;
  }

  /** The chunk under the cursor, or `undefined` when the cursor has reached the end of what was pushed. */
  get chunk(): Buffer | undefined {
    return this.#chunks[this.#cursor];
  }

  /** The cursor's index within {@link ChunkList.chunk}. */
  get offset(): number {
    return this.#off;
  }

  /** The cursor's stream offset. */
  get position(): number {
    return this.#pos;
  }

  /** Appends bytes from the stream. Empty chunks are ignored. */
  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    this.#received += n;
    // Chunks behind the cursor are kept only while an unfinished value spans them, and this one will
    // be too. A small view would pin its whole buffer meanwhile (UnixSocket's reads are views of a
    // 128 KiB pool shared by all sockets: a peer trickling a byte per read would pin a pool per byte,
    // without bound), so such a chunk is copied instead. Not taken for values that arrive whole.
    if (this.#head < this.#cursor && pinsMore(chunk)) this.#pushCopy(chunk);
    else this.#chunks.push(chunk);
  }

  /**
   * Copies `chunk` into storage of our own. When that extends the previous chunk (the copy made just
   * before it) and the cursor is past it, the chunk entry grows instead (the cursor moves to its old
   * end, the same stream position), so a value trickling in costs one entry per storage, not per read.
   */
  #pushCopy(chunk: Buffer): void {
    const chunks = this.#chunks;
    const last = chunks.length - 1;
    const prev = last >= this.#head && this.#cursor === chunks.length ? chunks[last] : undefined;
    const copy = this.#copies.copy(chunk, prev);
    if (prev !== undefined && copy.length > chunk.length) {
      chunks[last] = copy;
      this.#cursor = last;
      this.#off = prev.length;
    } else {
      chunks.push(copy);
    }
  }

  /** Moves the cursor to index `i` of its chunk. */
  seek(i: number): void {
    this.#pos += i - this.#off;
    this.#off = i;
  }

  /** Moves the cursor past the end of its chunk, to the start of the next one. */
  nextChunk(): void {
    this.#pos += this.#chunks[this.#cursor]!.length - this.#off;
    this.#cursor++;
    this.#off = 0;
  }

  /**
   * Moves the cursor past the bytes marked in `filler` (see {@link byteTable}), releasing the chunks it
   * leaves behind; returns how many bytes it skipped. The cursor then rests on another byte, or at the
   * end of what was pushed ({@link ChunkList.chunk} is `undefined`).
   */
  skip(filler: Uint8Array): number {
    let skipped = 0;
    for (;;) {
      const chunk = this.#chunks[this.#cursor];
      if (chunk === undefined) return skipped;
      const off = this.#off;
      let i = off;
      while (i < chunk.length && filler[chunk[i]!] === 1) i++;
      if (i < chunk.length) {
        // The common case, called by the framers' `next` for every message: nothing to skip or release.
        if (i === off) return skipped;
        this.seek(i);
        this.dropBefore(this.#pos);
        return skipped + i - off;
      }
      skipped += i - off;
      this.nextChunk();
      this.dropBefore(this.#pos);
    }
  }

  /** Copies stream bytes [start, end) out of the chunk list (no copy when they lie in one chunk). */
  slice(start: number, end: number): Buffer {
    // Kept small so the framers' `next` can inline it: the common case is a value inside the head chunk.
    const headStart = this.#headStart;
    const head = this.#chunks[this.#head]!;
    if (end - headStart <= head.length) return head.subarray(start - headStart, end - headStart);
    return this.#sliceSlow(start, end);
  }

  /** {@link ChunkList.slice} when the bytes do not all lie in the head chunk. */
  #sliceSlow(start: number, end: number): Buffer {
    const chunks = this.#chunks;
    let c = this.#head;
    let cStart = this.#headStart;
    while (cStart + chunks[c]!.length <= start) cStart += chunks[c++]!.length;
    const first = chunks[c]!;
    if (end - cStart <= first.length) return first.subarray(start - cStart, end - cStart);
    const out = Buffer.allocUnsafe(end - start);
    let written = 0;
    for (; written < out.length; c++) {
      const chunk = chunks[c]!;
      const from = Math.max(0, start - cStart);
      const to = Math.min(chunk.length, end - cStart);
      written += chunk.copy(out, written, from, to);
      cStart += chunk.length;
    }
    return out;
  }

  /** Releases chunks that lie entirely before stream offset `offset` (never the cursor's chunk). */
  dropBefore(offset: number): void {
    // Kept small so it inlines into the framers' loops; only a cursor past the head chunk has work.
    if (this.#head < this.#cursor) this.#release(offset);
  }

  #release(offset: number): void {
    while (this.#head < this.#cursor) {
      const chunk = this.#chunks[this.#head]!;
      if (this.#headStart + chunk.length > offset) break;
      this.#headStart += chunk.length;
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
    }
    // Compact now and then so the array does not grow without bound; amortised O(1) per chunk.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#cursor -= this.#head;
      this.#head = 0;
    }
  }

  /**
   * Hands back every buffered byte from stream offset `from` on (as the chunks, or their tails) and
   * empties the list; the cursor moves to the end of what was pushed.
   */
  takeFrom(from: number): Buffer[] {
    const out: Buffer[] = [];
    let start = this.#headStart;
    for (let c = this.#head; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      const skip = Math.max(0, from - start);
      if (skip < chunk.length) out.push(skip === 0 ? chunk : chunk.subarray(skip));
      start += chunk.length;
    }
    this.#chunks = [];
    this.#copies = new RetainedCopies();
    this.#head = this.#cursor = this.#off = 0;
    this.#headStart = this.#pos = this.#received;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A 256-entry table with 1 at each of `bytes`, for {@link ChunkList.skip}.
 * @internal
 */
export function byteTable(bytes: readonly number[]): Uint8Array {
  const table = new Uint8Array(256);
  for (const b of bytes) table[b] = 1;
  return table;
}

/** Size of the storage small chunks are copied into: what one connection may hold beyond its bytes. */
const COPY_STORAGE = 4096;

/**
 * True when keeping `chunk` would pin much more memory than its bytes: it is less than half of the
 * buffer it is a view of (e.g. a read from UnixSocket's shared receive pool).
 */
function pinsMore(chunk: Buffer): boolean {
  return chunk.length < chunk.buffer.byteLength >>> 1;
}

/**
 * Storage of a chunk list's own for chunks it must keep across reads (an unfinished message) that
 * would otherwise pin a shared buffer ({@link pinsMore}).
 */
class RetainedCopies {
  #storage: Buffer | null = null;
  #used = 0;

  /**
   * Copies `chunk` and returns the copy; when `prev` is the copy made just before and the new bytes
   * follow it in the same storage, the returned view is `prev` extended by them (longer than `chunk`).
   */
  copy(chunk: Buffer, prev: Buffer | undefined): Buffer {
    const n = chunk.length;
    let storage = this.#storage;
    if (storage === null || storage.length - this.#used < n) {
      // allocUnsafeSlow: memory of our own, not a slice of node's shared pool (which would pin again).
      storage = this.#storage = Buffer.allocUnsafeSlow(Math.max(n, COPY_STORAGE));
      this.#used = 0;
    }
    const start = this.#used;
    storage.set(chunk, start);
    this.#used = start + n;
    if (prev !== undefined && prev.buffer === storage.buffer && prev.byteOffset + prev.length === storage.byteOffset + start) {
      return storage.subarray(prev.byteOffset - storage.byteOffset, start + n);
    }
    return storage.subarray(start, start + n);
  }
}
