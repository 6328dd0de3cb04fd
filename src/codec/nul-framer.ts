import { pinsMore, RetainedCopies } from './chunk-list.js';

/** Options of a {@link NulFramer}. */
export interface NulFramerOptions {
  /** Largest message in bytes, without its NUL; longer is a {@link NulFramingError}. Default 64 MiB. */
  readonly maxMessageBytes?: number;
}

/** A NUL-terminated message grew beyond the size limit. */
export class NulFramingError extends Error {
  override readonly name = 'NulFramingError';
  readonly code = 'ERR_NUL_FRAMING';
  readonly reason = 'too-large';
  constructor(readonly limit: number) {
    super(`message longer than ${limit} bytes without a NUL terminator`);
  }
}

const NUL = 0;

/**
 * Cuts a byte stream into messages that each end with a NUL byte (Varlink framing).
 *
 * Each byte is searched once (`indexOf` resumes where the previous search stopped), and a message's
 * bytes are copied at most once.
 */
export class NulFramer {
  readonly #max: number;
  #chunks: Buffer[] = [];
  /** Bytes held in `#chunks`, of which the first `#scanned` contain no NUL. */
  #length = 0;
  #scanned = 0;
  /** Index of the chunk holding byte `#scanned`, and the message-relative offset of its first byte. */
  #scanChunk = 0;
  #scanBase = 0;
  /** Read offset into `#chunks[0]`. */
  #off = 0;
  /** Where small chunks of an unfinished message are copied (see {@link NulFramer.push}). */
  #copies = new RetainedCopies();

  constructor(options: NulFramerOptions = {}) {
    this.#max = options.maxMessageBytes ?? 64 * 1024 * 1024;
  }

  /** Bytes buffered and not yet returned. */
  get bufferedBytes(): number {
    return this.#length;
  }

  /** Appends bytes from the stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#length += chunk.length;
    // Bytes already buffered are an unfinished message, kept with this chunk until its NUL: a small
    // view (a read from UnixSocket's shared pool) would pin its whole buffer meanwhile, so it is copied
    // (see ChunkList.push).
    if (this.#chunks.length > 0 && pinsMore(chunk)) this.#pushCopy(chunk);
    else this.#chunks.push(chunk);
  }

  #pushCopy(chunk: Buffer): void {
    const chunks = this.#chunks;
    const last = chunks.length - 1;
    const prev = chunks[last]!;
    const copy = this.#copies.copy(chunk, prev);
    if (copy.length === chunk.length) {
      chunks.push(copy);
      return;
    }
    // `prev` grew. A scan that had finished it resumes inside it, at the same message offset.
    chunks[last] = copy;
    if (this.#scanChunk > last) {
      this.#scanChunk = last;
      this.#scanBase -= prev.length;
    }
  }

  /**
   * Returns the next message without its NUL, or `null` when no complete one is buffered.
   * @throws {@link NulFramingError} when the buffered message exceeds the limit.
   */
  next(): Buffer | null {
    // Resume at the chunk holding the first unscanned byte.
    let c = this.#scanChunk;
    let base = this.#scanBase; // message-relative offset of chunks[c][0]
    while (c < this.#chunks.length) {
      const chunk = this.#chunks[c]!;
      const end = base + chunk.length;
      if (end > this.#scanned) {
        const from = this.#scanned - base;
        const at = chunk.indexOf(NUL, from);
        if (at >= 0) {
          const size = base + at;
          if (size > this.#max) throw new NulFramingError(this.#max);
          return this.#take(size);
        }
        this.#scanned = end;
      }
      base = end;
      c++;
      this.#scanChunk = c;
      this.#scanBase = base;
    }
    if (this.#scanned > this.#max) throw new NulFramingError(this.#max);
    return null;
  }

  /** Hands back every byte not yet returned, in order, and empties the framer. */
  takeRemainder(): Buffer[] {
    const out = this.#chunks;
    if (out.length > 0 && this.#off > 0) out[0] = out[0]!.subarray(this.#off);
    this.#chunks = [];
    this.#length = this.#scanned = this.#off = this.#scanChunk = this.#scanBase = 0;
    return out;
  }

  /** Removes `size` message bytes plus the NUL from the front and returns the message. */
  #take(size: number): Buffer {
    const first = this.#chunks[0]!;
    let message: Buffer;
    if (this.#off + size < first.length) {
      message = first.subarray(this.#off, this.#off + size);
    } else {
      message = Buffer.allocUnsafe(size);
      let written = 0;
      let c = 0;
      let from = this.#off;
      while (written < size) {
        const chunk = this.#chunks[c]!;
        const n = Math.min(chunk.length - from, size - written);
        chunk.copy(message, written, from, from + n);
        written += n;
        from = 0;
        c++;
      }
    }
    this.#consume(size + 1);
    return message;
  }

  #consume(n: number): void {
    this.#length -= n;
    this.#scanned = 0;
    let left = n;
    let drop = 0;
    while (left > 0) {
      const chunk = this.#chunks[drop]!;
      const avail = chunk.length - this.#off;
      if (left < avail) {
        this.#off += left;
        break;
      }
      left -= avail;
      this.#off = 0;
      drop++;
    }
    if (drop > 0) this.#chunks.splice(0, drop);
    this.#scanChunk = 0;
    this.#scanBase = -this.#off;
  }
}
