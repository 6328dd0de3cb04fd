/** Why a byte stream could not be cut into msgpack messages. */
export type MsgpackFramingReason =
  /** The byte 0xc1 (never used by msgpack) inside a value, or a slice the decoder rejects. */
  | 'syntax'
  /** A top-level value that is neither a map nor an array (a message must be a map; arrays are batches). */
  | 'not-a-container'
  /** Nesting deeper than the configured maximum. */
  | 'too-deep'
  /** The value grew (or declared a length or count that would make it grow) beyond the maximum size. */
  | 'too-large';

/** The byte stream is not a sequence of msgpack messages: the stream cannot be resynchronised. */
export class MsgpackFramingError extends Error {
  override readonly name = 'MsgpackFramingError';
  readonly code = 'ERR_MSGPACK_FRAMING';
  readonly reason: MsgpackFramingReason;
  /** Stream offset (bytes since the skipper started) where the problem was found. */
  readonly offset: number;

  constructor(reason: MsgpackFramingReason, offset: number, message: string, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.reason = reason;
    this.offset = offset;
  }
}
