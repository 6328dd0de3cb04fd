/**
 * A message cannot be encoded by the connection's codec: not an object, fds attached to a batch
 * array, or a value the codec cannot represent (a BigInt or a cycle in JSON). Nothing was sent. A
 * TypeError, as the refusal of `JSON.stringify` it usually wraps (`cause`).
 */
export class MessageEncodeError extends TypeError {
  override readonly name = 'MessageEncodeError';
  readonly code = 'ERR_MESSAGE_ENCODE';
}
