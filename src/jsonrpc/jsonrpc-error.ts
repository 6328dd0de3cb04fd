import { InvalidArgumentError } from '../transport/system-error.js';
import { ErrorCodes } from './error-codes.js';

/** The `error` member of a JSON-RPC response. */
export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * A JSON-RPC error: thrown by a handler to answer with this `code`/`message`/`data`, and the rejection
 * of {@link JsonRpcPeer.request} when the peer answered with an error.
 */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  /** Integer error code (see {@link ErrorCodes}). */
  readonly code: number;
  /** Optional structured detail, sent as the error's `data` member when defined. */
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown, options?: ErrorOptions) {
    super(message, options);
    if (!Number.isInteger(code)) throw new InvalidArgumentError(`JSON-RPC error code must be an integer: ${String(code)}`);
    this.code = code;
    this.data = data;
  }

  /** The wire form of this error. `data` is omitted when undefined. */
  toJSON(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /** Builds an error from a received `error` member, tolerating malformed ones. */
  static fromObject(value: unknown): JsonRpcError {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const { code, message, data } = value as Record<string, unknown>;
      if (Number.isInteger(code) && typeof message === 'string') return new JsonRpcError(code as number, message, data);
    }
    return new JsonRpcError(ErrorCodes.InternalError, 'peer sent a malformed error object', value);
  }
}
