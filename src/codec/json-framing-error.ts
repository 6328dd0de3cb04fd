/** Why a byte stream could not be cut into JSON values. */
export type JsonFramingReason =
  /** A byte that cannot start or continue a value here, or a slice `JSON.parse` rejects. */
  | 'syntax'
  /** A top-level value that is neither an object nor an array (it could not be delimited in a stream). */
  | 'not-a-container'
  /** The value's bytes are not valid UTF-8. */
  | 'invalid-utf8'
  /** Nesting deeper than the configured maximum. */
  | 'too-deep'
  /** The value grew beyond the configured maximum size. */
  | 'too-large'
  /** The stream ended inside a value. */
  | 'truncated';

/** The byte stream is not a sequence of JSON values: the stream cannot be resynchronised. */
export class JsonFramingError extends Error {
  override readonly name = 'JsonFramingError';
  readonly code = 'ERR_JSON_FRAMING';
  readonly reason: JsonFramingReason;
  /** Stream offset (bytes since the scanner started) where the problem was found. */
  readonly offset: number;

  constructor(reason: JsonFramingReason, offset: number, message: string, options?: ErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.reason = reason;
    this.offset = offset;
  }
}
