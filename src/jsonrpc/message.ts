/** A JSON-RPC request id as it appears on the wire. */
export type JsonRpcId = string | number | null;

/** Parameters of a request or notification: by position or by name. */
export type JsonRpcParams = unknown[] | Record<string, unknown>;

/** What an incoming JSON value turned out to be. */
export type IncomingMessage =
  | { readonly kind: 'call'; readonly id: JsonRpcId | undefined; readonly method: string; readonly params: JsonRpcParams | undefined }
  | { readonly kind: 'result'; readonly id: JsonRpcId; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: JsonRpcId; readonly error: unknown }
  /** A response we cannot use; never answered (answering broken responses risks reply loops). */
  | { readonly kind: 'bad-response'; readonly id: JsonRpcId; readonly reason: string }
  /** Answered with -32600 and `id` (null when the message's id was unusable). */
  | { readonly kind: 'invalid'; readonly id: JsonRpcId; readonly reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Classifies one received JSON value. A member named `method` makes it a call (request when `id` is
 * present, notification otherwise); `result`/`error` without `method` make it a response. Arrays
 * (JSON-RPC batches) are invalid: jsonrpc-fdpass messages are single objects.
 */
export function classifyMessage(value: unknown): IncomingMessage {
  if (Array.isArray(value)) return { kind: 'invalid', id: null, reason: 'batch requests are not supported' };
  if (!isObject(value)) return { kind: 'invalid', id: null, reason: 'message is not a JSON object' };
  const rawId = value['id'];
  const hasId = has(value, 'id');
  const usableId = hasId && isId(rawId) ? rawId : null;
  const jsonrpcOk = value['jsonrpc'] === '2.0';

  if (has(value, 'method')) {
    if (!jsonrpcOk) return { kind: 'invalid', id: usableId, reason: 'jsonrpc must be "2.0"' };
    if (hasId && !isId(rawId)) return { kind: 'invalid', id: null, reason: 'id must be a string, number or null' };
    const method = value['method'];
    if (typeof method !== 'string') return { kind: 'invalid', id: usableId, reason: 'method must be a string' };
    const params = value['params'];
    if (params !== undefined && typeof params !== 'object') {
      return { kind: 'invalid', id: usableId, reason: 'params must be an array or an object' };
    }
    if (params === null) return { kind: 'invalid', id: usableId, reason: 'params must be an array or an object' };
    return { kind: 'call', id: hasId ? (rawId as JsonRpcId) : undefined, method, params: params as JsonRpcParams | undefined };
  }

  const hasResult = has(value, 'result');
  const hasError = has(value, 'error');
  if (hasResult || hasError) {
    if (!hasId || !isId(rawId)) return { kind: 'bad-response', id: null, reason: 'response without a usable id' };
    if (!jsonrpcOk) return { kind: 'bad-response', id: rawId, reason: 'jsonrpc must be "2.0"' };
    if (hasResult && hasError) return { kind: 'bad-response', id: rawId, reason: 'response has both result and error' };
    return hasResult ? { kind: 'result', id: rawId, result: value['result'] } : { kind: 'error', id: rawId, error: value['error'] };
  }
  return { kind: 'invalid', id: usableId, reason: 'message is neither a request nor a response' };
}
