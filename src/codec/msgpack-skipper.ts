import { byteTable, ChunkList } from './chunk-list.js';
import type { ScannedValue } from './json-scanner.js';
import { MsgpackFramingError } from './msgpack-framing-error.js';

/**
 * The byte written between msgpack messages, and as the payload of fd continuation batches.
 *
 * jsonrpc-fdpass needs one byte that may stand between messages and means nothing. JSON has
 * whitespace; msgpack has no such thing — every other byte, 0x20 included (fixint 32), starts a valid
 * value, so a space between two maps would be read as a top-level integer. 0xc1 is the one byte the
 * msgpack spec marks "never used": it cannot start or continue any value, so it is unambiguous as a
 * filler and can never be confused with message bytes (and is an error inside a value).
 */
export const MSGPACK_FILLER = 0xc1;
const FILLER = byteTable([MSGPACK_FILLER]);

/** Options of a {@link MsgpackSkipper}. */
export interface MsgpackSkipperOptions {
  /** Largest value in bytes; a longer one (or one that declares a longer payload) is `too-large`. Default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Deepest nesting of maps and arrays; deeper is `too-deep`. Default 1000. */
  readonly maxDepth?: number;
}

// What the first byte of a value asks for; one table lookup per value instead of a chain of ranges.
const SCALAR = 0; // complete in its first byte (fixints, nil, booleans)
const FIXED = 1; // SIZE[b] payload bytes follow (numbers, fixext)
const FIXSTR = 2; // (b & 0x1f) payload bytes follow
const FIXMAP = 3; // (b & 0x0f) key/value pairs follow
const FIXARRAY = 4; // (b & 0x0f) items follow
const LEN_PAYLOAD = 5; // a SIZE[b]-byte big-endian length, then that many bytes (str, bin)
const LEN_EXT = 6; // a SIZE[b]-byte length, a type byte, then the data (ext)
const COUNT_ARRAY = 7; // a SIZE[b]-byte item count
const COUNT_MAP = 8; // a SIZE[b]-byte pair count
const INVALID = 9; // 0xc1

const ACTION = new Uint8Array(256);
const SIZE = new Uint8Array(256);
{
  const set = (b: number, action: number, size = 0): void => {
    ACTION[b] = action;
    SIZE[b] = size;
  };
  for (let b = 0x80; b <= 0x8f; b++) set(b, FIXMAP);
  for (let b = 0x90; b <= 0x9f; b++) set(b, FIXARRAY);
  for (let b = 0xa0; b <= 0xbf; b++) set(b, FIXSTR);
  // 0x00-0x7f, 0xe0-0xff (fixints), 0xc0 nil, 0xc2 false, 0xc3 true stay SCALAR.
  set(0xc1, INVALID);
  set(0xc4, LEN_PAYLOAD, 1); // bin 8/16/32
  set(0xc5, LEN_PAYLOAD, 2);
  set(0xc6, LEN_PAYLOAD, 4);
  set(0xc7, LEN_EXT, 1); // ext 8/16/32
  set(0xc8, LEN_EXT, 2);
  set(0xc9, LEN_EXT, 4);
  set(0xca, FIXED, 4); // float 32/64
  set(0xcb, FIXED, 8);
  set(0xcc, FIXED, 1); // uint 8/16/32/64
  set(0xcd, FIXED, 2);
  set(0xce, FIXED, 4);
  set(0xcf, FIXED, 8);
  set(0xd0, FIXED, 1); // int 8/16/32/64
  set(0xd1, FIXED, 2);
  set(0xd2, FIXED, 4);
  set(0xd3, FIXED, 8);
  set(0xd4, FIXED, 2); // fixext 1/2/4/8/16: a type byte and the data
  set(0xd5, FIXED, 3);
  set(0xd6, FIXED, 5);
  set(0xd7, FIXED, 9);
  set(0xd8, FIXED, 17);
  set(0xd9, LEN_PAYLOAD, 1); // str 8/16/32
  set(0xda, LEN_PAYLOAD, 2);
  set(0xdb, LEN_PAYLOAD, 4);
  set(0xdc, COUNT_ARRAY, 2); // array 16/32
  set(0xdd, COUNT_ARRAY, 4);
  set(0xde, COUNT_MAP, 2); // map 16/32
  set(0xdf, COUNT_MAP, 4);
}

/** True for bytes that start a map or an array: the only legal first bytes of a message. */
function isContainerStart(action: number): boolean {
  return action === FIXMAP || action === FIXARRAY || action === COUNT_ARRAY || action === COUNT_MAP;
}

/**
 * Cuts a byte stream into top-level msgpack values (maps, or arrays for batches) without decoding them.
 *
 * msgpack values are self-delimiting, so finding the end needs no parsing of contents: per value a
 * type byte, maybe a length or count header, then a payload to jump over. The state between pushes is
 * a stack of items still owed by each open container, the header bytes still to read, and the payload
 * bytes still to skip, so every byte is stepped over once however the stream is chunked: O(n) in total
 * (decoding with msgpackr's incomplete-buffer retry instead restarts from the message start on every
 * chunk, O(n²)). Chunks are kept as a list (`ChunkList`) and a value's bytes are copied once, when
 * it completes. Filler bytes ({@link MSGPACK_FILLER}) between values are skipped.
 */
export class MsgpackSkipper {
  readonly #maxBytes: number;
  readonly #maxDepth: number;

  /** Buffered chunks and the scan cursor. */
  readonly #buf = new ChunkList();

  /** Stream offset of the current value's first byte, or -1 between values. */
  #valueStart = -1;
  /** Items (map keys and values count one each) still owed by each open container, innermost last. */
  #stack: number[] = [];
  /** Header bytes (a length or count) still to read, what they mean, and their value so far. */
  #headerLeft = 0;
  #headerAction = 0;
  #headerValue = 0;
  /** Payload bytes still to jump over. */
  #skip = 0;

  #examined = 0;

  constructor(options: MsgpackSkipperOptions = {}) {
    this.#maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.#maxDepth = options.maxDepth ?? 1000;
  }

  /**
   * Bytes stepped over so far (payload bytes jumped over count too). Each pushed byte is counted at
   * most once, so this never exceeds {@link received}: the proof that chunking costs no rescans.
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
   * Skips filler bytes at the cursor (outside a value) and reports whether any other byte is buffered
   * but not yet returned as part of a complete value.
   */
  skipFiller(): boolean {
    if (this.#valueStart >= 0) return true;
    this.#examined += this.#buf.skip(FILLER);
    return this.#buf.chunk !== undefined;
  }

  /**
   * Returns the next complete value, or `null` when more bytes are needed.
   * @throws {@link MsgpackFramingError} when the stream cannot be a sequence of msgpack messages; the
   * skipper must not be used afterwards.
   */
  next(): ScannedValue | null {
    const buf = this.#buf;
    // Between values: the cursor then rests on the next value's first byte, or at the end.
    if (this.#valueStart < 0) this.#examined += buf.skip(FILLER);
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
        if (!isContainerStart(ACTION[first]!)) {
          throw new MsgpackFramingError(
            'not-a-container',
            at,
            `a message must be a msgpack map or array, found byte 0x${first.toString(16).padStart(2, '0')}`,
          );
        }
        // The first byte is handled by the loop below like any other; only where the value starts is new.
        this.#valueStart = at;
      }

      const done = this.#scan(chunk, i, base);
      if (done >= 0) buf.seek(done);
      else buf.nextChunk();
      if (buf.position - this.#valueStart > this.#maxBytes) {
        throw new MsgpackFramingError('too-large', this.#valueStart, `message larger than ${this.#maxBytes} bytes`);
      }
      if (done >= 0) return this.#takeValue();
    }
  }

  /**
   * Hands back every byte not yet returned as a value (including a partial value) and empties the
   * skipper; used when a connection changes protocol.
   */
  takeRemainder(): Buffer[] {
    const out = this.#buf.takeFrom(this.#valueStart >= 0 ? this.#valueStart : this.#buf.position);
    this.#resetValue();
    return out;
  }

  /**
   * Steps through `chunk` from `i` inside the current value; `base` is the stream offset of the chunk's
   * index 0. Returns the index just past the value's last byte, or -1 when the chunk ended first (the
   * state then says where to resume).
   */
  #scan(chunk: Buffer, i: number, base: number): number {
    const len = chunk.length;
    while (i < len) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, len - i);
        i += n;
        this.#examined += n;
        this.#skip -= n;
        if (this.#skip > 0) return -1;
        if (this.#itemDone()) return i;
        continue;
      }
      if (this.#headerLeft > 0) {
        // Multiplying keeps 32-bit lengths positive (bitwise operators would make them negative).
        this.#headerValue = this.#headerValue * 256 + chunk[i++]!;
        this.#examined++;
        if (--this.#headerLeft > 0) continue;
        if (this.#afterHeader(this.#headerAction, this.#headerValue, base + i)) return i;
        continue;
      }
      const b = chunk[i++]!;
      this.#examined++;
      const action = ACTION[b]!;
      let complete: boolean;
      switch (action) {
        case SCALAR:
          complete = this.#itemDone();
          break;
        case FIXED:
          complete = this.#payload(SIZE[b]!, base + i);
          break;
        case FIXSTR:
          complete = this.#payload(b & 0x1f, base + i);
          break;
        case FIXMAP:
          complete = this.#open((b & 0x0f) * 2, base + i - 1);
          break;
        case FIXARRAY:
          complete = this.#open(b & 0x0f, base + i - 1);
          break;
        case INVALID:
          throw new MsgpackFramingError('syntax', base + i - 1, 'byte 0xc1 (never used by msgpack) inside a message');
        default:
          this.#headerAction = action;
          this.#headerLeft = SIZE[b]!;
          this.#headerValue = 0;
          complete = false;
      }
      if (complete) return i;
    }
    return -1;
  }

  /** A length or count header was read completely; true when the top-level value is complete. */
  #afterHeader(action: number, value: number, at: number): boolean {
    switch (action) {
      case LEN_PAYLOAD:
        return this.#payload(value, at);
      case LEN_EXT:
        return this.#payload(value + 1, at);
      case COUNT_ARRAY:
        return this.#open(value, at);
      default:
        return this.#open(value * 2, at);
    }
  }

  /** A scalar whose `n` payload bytes start at stream offset `at`; true when the value is complete. */
  #payload(n: number, at: number): boolean {
    if (n === 0) return this.#itemDone();
    // A declared length is a promise of bytes: refuse it now rather than buffer up to the limit.
    if (at + n - this.#valueStart > this.#maxBytes) {
      throw new MsgpackFramingError('too-large', this.#valueStart, `message larger than ${this.#maxBytes} bytes`);
    }
    this.#skip = n;
    return false;
  }

  /** A container of `items` items (a map's keys and values counted apart) found at `at`. */
  #open(items: number, at: number): boolean {
    if (this.#stack.length >= this.#maxDepth) {
      throw new MsgpackFramingError('too-deep', at, `nesting deeper than ${this.#maxDepth}`);
    }
    // Every item takes at least one byte, so a count beyond the size limit cannot fit.
    if (items > this.#maxBytes) {
      throw new MsgpackFramingError('too-large', this.#valueStart, `message larger than ${this.#maxBytes} bytes`);
    }
    if (items === 0) return this.#itemDone();
    this.#stack.push(items);
    return false;
  }

  /** One item ended: settle it with the containers it closes; true when the top-level value ended. */
  #itemDone(): boolean {
    const stack = this.#stack;
    for (;;) {
      const last = stack.length - 1;
      if (last < 0) return true;
      const left = stack[last]! - 1;
      if (left > 0) {
        stack[last] = left;
        return false;
      }
      stack.pop();
    }
  }

  #resetValue(): void {
    this.#valueStart = -1;
    this.#stack.length = 0;
    this.#headerLeft = this.#headerAction = this.#headerValue = 0;
    this.#skip = 0;
  }

  #takeValue(): ScannedValue {
    const start = this.#valueStart;
    const end = this.#buf.position;
    this.#resetValue();
    const bytes = this.#buf.slice(start, end);
    this.#buf.dropBefore(end);
    return { bytes, start, end };
  }
}
