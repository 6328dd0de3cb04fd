import { JsonFramingError } from './json-framing-error.js';
import type { ScannedValue } from './json-scanner.js';
import { MessageEncodeError } from './message-encode-error.js';
import { MsgpackFramingError } from './msgpack-framing-error.js';

/** A framing failure of either codec: the stream cannot be resynchronised. */
export type MessageFramingError = JsonFramingError | MsgpackFramingError;

/** True for the errors a {@link MessageFramer} or {@link MessageCodec.decode} throws on bad input. */
export function isMessageFramingError(err: unknown): err is MessageFramingError {
  return err instanceof JsonFramingError || err instanceof MsgpackFramingError;
}

/** Limits a {@link MessageCodec} builds its framer with. */
export interface FramerLimits {
  readonly maxMessageBytes: number;
  readonly maxDepth: number;
}

/**
 * Cuts a byte stream into messages, keeping its state across chunks (O(n) in total however the stream
 * is chunked). Implemented by `JsonScanner` and `MsgpackSkipper`.
 */
export interface MessageFramer {
  /** Appends bytes from the stream. */
  push(chunk: Buffer): void;
  /**
   * The next complete message's bytes and stream offsets, or `null` when more bytes are needed.
   * @throws {@link MessageFramingError}
   */
  next(): ScannedValue | null;
  /** Skips filler between messages; true when any other byte is buffered and not yet returned. */
  skipFiller(): boolean;
  /** Total bytes pushed (the stream offset where the next push begins). */
  readonly received: number;
}

/**
 * How a jsonrpc-fdpass channel turns messages into bytes and back. The channel keeps everything else
 * (fd queue, `fds` rules, fatal errors); a codec only frames, decodes, encodes and names its filler.
 */
export interface MessageCodec {
  /** The name used in codec negotiation (`"json"`, `"msgpack"`). */
  readonly name: string;
  /**
   * The byte sent as the payload of fd continuation batches; {@link isFiller} must accept it.
   */
  readonly filler: number;
  /** True for bytes that may stand between messages and mean nothing. */
  isFiller(byte: number): boolean;
  /** A new framer for one connection's incoming stream. */
  createFramer(limits: FramerLimits): MessageFramer;
  /**
   * Decodes one message cut by this codec's framer.
   * @throws a `MessageFramingError` (see {@link isMessageFramingError}) when the bytes are not a valid message.
   */
  decode(message: ScannedValue): unknown;
  /**
   * Encodes `message` with its top-level `fds` member set to `fdCount` (omitted when 0, overriding
   * any value the caller put there; the caller's object is not modified).
   * @throws {MessageEncodeError} when the message cannot be encoded, or fds are attached to an array (batch).
   */
  encode(message: object, fdCount: number): Uint8Array;
}

/** An object literal's kind: serialised (JSON) or packed (msgpack) as its own enumerable keys, in order. */
function isPlainObject(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype && !Object.hasOwn(value, 'toJSON');
}

/**
 * The `fds` rule of {@link MessageCodec.encode}, shared by the codecs: checks `message` and returns what
 * to encode — `message` itself, or a copy without the caller's `fds` and with `fds: count` last when
 * `count > 0`. Returns `null` when `message` is a plain object without `fds` and `count > 0`: the codec
 * then adds the pair to the encoding of `message` itself, which costs less than copying the object.
 * @throws {MessageEncodeError} for a non-object, or fds attached to an array (batch).
 * @internal
 */
export function fdsMessage(message: object, count: number): object | null {
  if (typeof message !== 'object' || message === null) throw new MessageEncodeError('a message must be an object');
  if (Array.isArray(message)) {
    if (count > 0) throw new MessageEncodeError('fds cannot be attached to a batch array');
    return message;
  }
  if (count > 0 && !Object.hasOwn(message, 'fds') && isPlainObject(message)) return null;
  if (count > 0 || Object.hasOwn(message, 'fds')) {
    const { fds: _ignored, ...rest } = message as Record<string, unknown>;
    return count > 0 ? { ...rest, fds: count } : rest;
  }
  return message;
}
