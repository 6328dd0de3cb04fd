/** Any JSON value, as a vector file spells it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Why a receiver closed the connection (the `data.reason` of its final `-32050` error). */
export type FatalReason = 'framing' | 'mismatched-count' | 'invalid-fds' | 'limit';

/** Every {@link FatalReason}, for checking a vector file's `reason`. */
export const FATAL_REASONS: readonly FatalReason[] = ['framing', 'mismatched-count', 'invalid-fds', 'limit'];

/** One step of a receiver vector: a receive call returning bytes and fds, or end of stream. */
export type ReadStep = { readonly eof: false; readonly bytes: Buffer; readonly fds: number } | { readonly eof: true };

/** Receiver limits a vector needs; absent ones are the implementation's defaults. */
export interface ReceiverLimits {
  readonly maxMessageBytes?: number;
  readonly maxFdsPerMessage?: number;
  readonly maxQueuedFds?: number;
  readonly maxDepth?: number;
}

/** The keys a vector file's `limits` may have. */
export const LIMIT_NAMES: readonly (keyof ReceiverLimits)[] = ['maxMessageBytes', 'maxFdsPerMessage', 'maxQueuedFds', 'maxDepth'];

/** A message the receiver must dispatch: its JSON value, how many fds it got, and the step that completed it. */
export interface ExpectedMessage {
  readonly json: JsonValue;
  readonly fds: number;
  readonly afterRead: number;
}

/** The fatal error a receiver must end with, and the step after which it must. */
export interface ExpectedFatal {
  readonly reason: FatalReason;
  readonly afterRead: number;
}

/** What a receiver must do with a sequence of reads. */
export interface ReceiverVector {
  readonly kind: 'receiver';
  readonly name: string;
  readonly description: string;
  readonly rule: string;
  /** Path of the vector file, relative to the vectors directory, with `/` separators. */
  readonly file: string;
  readonly limits: ReceiverLimits;
  readonly reads: readonly ReadStep[];
  readonly expect: { readonly messages: readonly ExpectedMessage[]; readonly fatal: ExpectedFatal | null };
}

/**
 * One sendmsg the sender must make, with its fds: a payload that is exactly one JSON text equal to
 * `json`, or exactly `bytes` (e.g. the one-space continuation).
 */
export type ExpectedSend =
  | { readonly kind: 'json'; readonly json: JsonValue; readonly fds: number }
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly fds: number };

/** What a sender must do with a sequence of messages to send. */
export interface SenderVector {
  readonly kind: 'sender';
  readonly name: string;
  readonly description: string;
  readonly rule: string;
  readonly file: string;
  /** The simulated kernel refuses (EINVAL) a sendmsg with more than `fdLimit` fds; the sender starts at `startBatch`. */
  readonly sendmsg: { readonly fdLimit: number; readonly startBatch: number };
  readonly messages: readonly { readonly json: JsonObject; readonly fds: number }[];
  readonly expect: { readonly sends: readonly ExpectedSend[] };
}

/** A vector of either kind. */
export type Vector = ReceiverVector | SenderVector;

/** All vectors of a directory, by kind, in file then document order. */
export interface VectorSet {
  readonly receiver: readonly ReceiverVector[];
  readonly sender: readonly SenderVector[];
}

/** A vector file does not follow spec/vectors/README.md; `path` says where (e.g. `vectors[3].reads[0].hex`). */
export class VectorFormatError extends Error {
  override readonly name = 'VectorFormatError';
  readonly file: string;
  readonly path: string;

  constructor(file: string, path: string, message: string) {
    super(`${file}: ${path}: ${message}`);
    this.file = file;
    this.path = path;
  }
}
