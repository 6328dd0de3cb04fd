import { isUtf8 } from 'node:buffer';
import { byteTable, ChunkList } from './chunk-list.js';
import { JsonFramingError } from './json-framing-error.js';

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** True for the four JSON whitespace bytes (space, tab, LF, CR). */
export function isJsonWhitespace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

/** The same four bytes as a table for {@link ChunkList.skip}. */
const WHITESPACE = byteTable([SPACE, TAB, LF, CR]);

/** Options of a {@link JsonScanner}. */
export interface JsonScannerOptions {
  /** Largest value in bytes; a longer one is a `too-large` framing error. Default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Deepest nesting of objects and arrays; deeper is a `too-deep` framing error. Default 1000. */
  readonly maxDepth?: number;
  /**
   * Check that each value is valid UTF-8 (an `invalid-utf8` framing error otherwise). Default true;
   * a caller that decodes with a fatal decoder anyway turns it off to save a second pass.
   */
  readonly validateUtf8?: boolean;
}

/** One complete top-level JSON value cut from the stream. */
export interface ScannedValue {
  /** The value's bytes (valid UTF-8; not yet parsed). */
  readonly bytes: Buffer;
  /** Stream offset of the value's first byte (`{` or `[`). */
  readonly start: number;
  /** Stream offset just past the value's last byte. */
  readonly end: number;
}

/**
 * Cuts a byte stream into top-level JSON values (objects or arrays) without parsing them.
 *
 * State (depth, in-string, pending backslash) survives across chunks, so every byte is examined once:
 * a value arriving in many small chunks costs O(n) in total. String bodies are skipped with
 * `Buffer.indexOf`. Chunks are kept as a list (`ChunkList`) and a value's bytes are copied once, when
 * it completes. Brackets are only counted, not matched: `JSON.parse` of the returned slice is the
 * validator.
 */
export class JsonScanner {
  readonly #maxBytes: number;
  readonly #maxDepth: number;
  readonly #validateUtf8: boolean;

  /** Buffered chunks and the scan cursor. */
  readonly #buf = new ChunkList();

  /** Stream offset of the current value's first byte, or -1 between values. */
  #valueStart = -1;
  #depth = 0;
  #inString = false;
  /** An odd run of backslashes ended the previous chunk inside a string. */
  #escaped = false;

  #examined = 0;

  constructor(options: JsonScannerOptions = {}) {
    this.#maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.#maxDepth = options.maxDepth ?? 1000;
    this.#validateUtf8 = options.validateUtf8 ?? true;
  }

  /**
   * Bytes examined so far, counting bytes jumped over by `indexOf` and backslashes re-read to decide
   * whether a quote is escaped. Stays within a small constant times the bytes pushed.
   */
  get bytesExamined(): number {
    return this.#examined;
  }

  /** Stream offset just past the last byte pushed (total bytes pushed). */
  get received(): number {
    return this.#buf.received;
  }

  /** Bytes held: the unfinished value plus anything not yet scanned. */
  get bufferedBytes(): number {
    return this.#buf.bufferedBytes;
  }

  /** True while a value has started but not ended. */
  get inValue(): boolean {
    return this.#valueStart >= 0;
  }

  /** Appends bytes from the stream. Empty chunks are ignored. */
  push(chunk: Buffer): void {
    this.#buf.push(chunk);
  }

  /**
   * Skips whitespace at the cursor (outside a value) and reports whether any non-whitespace byte is
   * buffered but not yet returned as part of a complete value.
   */
  skipWhitespace(): boolean {
    if (this.#valueStart >= 0) return true;
    this.#examined += this.#buf.skip(WHITESPACE);
    return this.#buf.chunk !== undefined;
  }

  /** {@link skipWhitespace} under the name every message framer shares (JSON's filler is whitespace). */
  skipFiller(): boolean {
    return this.skipWhitespace();
  }

  /**
   * Returns the next complete value, or `null` when more bytes are needed.
   * @throws {@link JsonFramingError} when the stream cannot be a sequence of JSON values; the scanner
   * must not be used afterwards.
   */
  next(): ScannedValue | null {
    const buf = this.#buf;
    // Between values: the cursor then rests on the next value's first byte, or at the end.
    if (this.#valueStart < 0) this.#examined += buf.skip(WHITESPACE);
    for (;;) {
      const chunk = buf.chunk;
      if (chunk === undefined) return null;
      const off = buf.offset;
      // Stream offset of the chunk's index 0.
      const base = buf.position - off;
      let i = off;
      const len = chunk.length;

      if (this.#valueStart < 0) {
        const first = chunk[i]!;
        const at = base + i;
        if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
          throw new JsonFramingError(
            first === CLOSE_BRACE || first === CLOSE_BRACKET || first === 0x2c || first === 0x3a ? 'syntax' : 'not-a-container',
            at,
            `a message must be a JSON object or array, found byte 0x${first.toString(16).padStart(2, '0')}`,
          );
        }
        this.#valueStart = at;
        this.#depth = 1;
        this.#inString = false;
        this.#escaped = false;
        this.#examined++;
        i++;
      }

      let end = -1;
      while (i < len) {
        if (this.#inString) {
          const q = chunk.indexOf(QUOTE, i);
          if (q < 0) {
            // The chunk ends inside the string: carry the parity of its trailing backslash run.
            let k = len - 1;
            while (k >= i && chunk[k] === BACKSLASH) k--;
            const odd = (len - 1 - k) % 2 === 1;
            this.#escaped = k < i ? this.#escaped !== odd : odd;
            this.#examined += len - i + (len - 1 - k);
            i = len;
            break;
          }
          let k = q - 1;
          while (k >= i && chunk[k] === BACKSLASH) k--;
          let odd = (q - 1 - k) % 2 === 1;
          if (k < i) odd = odd !== this.#escaped;
          this.#escaped = false;
          this.#examined += q + 1 - i + (q - 1 - k);
          i = q + 1;
          if (!odd) this.#inString = false;
          continue;
        }
        const b = chunk[i++]!;
        this.#examined++;
        if (b === QUOTE) {
          this.#inString = true;
          this.#escaped = false;
        } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
          if (++this.#depth > this.#maxDepth) {
            throw new JsonFramingError('too-deep', base + i - 1, `nesting deeper than ${this.#maxDepth}`);
          }
        } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          if (--this.#depth === 0) {
            end = i;
            break;
          }
        }
      }

      if (end >= 0) buf.seek(i);
      else buf.nextChunk();
      if (buf.position - this.#valueStart > this.#maxBytes) {
        throw new JsonFramingError('too-large', this.#valueStart, `message larger than ${this.#maxBytes} bytes`);
      }
      if (end >= 0) return this.#takeValue();
    }
  }

  /**
   * Hands back every byte not yet returned as a value (including a partial value) and empties the
   * scanner; used when a connection changes protocol.
   */
  takeRemainder(): Buffer[] {
    const out = this.#buf.takeFrom(this.#valueStart >= 0 ? this.#valueStart : this.#buf.position);
    this.#valueStart = -1;
    this.#depth = 0;
    this.#inString = this.#escaped = false;
    return out;
  }

  #takeValue(): ScannedValue {
    const start = this.#valueStart;
    const end = this.#buf.position;
    this.#valueStart = -1;
    const bytes = this.#buf.slice(start, end);
    this.#buf.dropBefore(end);
    if (this.#validateUtf8 && !isUtf8(bytes)) throw new JsonFramingError('invalid-utf8', start, 'message is not valid UTF-8');
    return { bytes, start, end };
  }
}
