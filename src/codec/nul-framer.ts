import { ChunkList } from './chunk-list.js';

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
 * Each byte is searched once (`indexOf` resumes at the cursor of its `ChunkList`), and a message's
 * bytes are copied at most once.
 */
export class NulFramer {
  readonly #max: number;
  /** Buffered chunks; the cursor is where the search for the next NUL resumes. */
  readonly #buf = new ChunkList();
  /** Stream offset of the first byte not yet returned. */
  #start = 0;

  constructor(options: NulFramerOptions = {}) {
    this.#max = options.maxMessageBytes ?? 64 * 1024 * 1024;
  }

  /** Bytes buffered and not yet returned. */
  get bufferedBytes(): number {
    return this.#buf.received - this.#start;
  }

  /**
   * Appends bytes from the stream. A chunk that continues an unfinished message is copied when it is
   * a small view of a larger buffer (see `ChunkList.push`).
   */
  push(chunk: Buffer): void {
    this.#buf.push(chunk);
  }

  /**
   * Returns the next message without its NUL, or `null` when no complete one is buffered.
   * @throws {@link NulFramingError} when the buffered message exceeds the limit.
   */
  next(): Buffer | null {
    const buf = this.#buf;
    for (let chunk = buf.chunk; chunk !== undefined; chunk = buf.chunk) {
      const at = chunk.indexOf(NUL, buf.offset);
      if (at < 0) {
        buf.nextChunk();
        buf.dropBefore(this.#start);
        continue;
      }
      buf.seek(at);
      const start = this.#start;
      const end = buf.position;
      if (end - start > this.#max) throw new NulFramingError(this.#max);
      const message = buf.slice(start, end);
      buf.seek(at + 1);
      this.#start = buf.position;
      buf.dropBefore(this.#start);
      return message;
    }
    if (buf.position - this.#start > this.#max) throw new NulFramingError(this.#max);
    return null;
  }

  /** Hands back every byte not yet returned, in order, and empties the framer. */
  takeRemainder(): Buffer[] {
    const out = this.#buf.takeFrom(this.#start);
    this.#start = this.#buf.position;
    return out;
  }
}
