import { JsonFramingError } from './json-framing-error.js';
import { JsonScanner, isJsonWhitespace } from './json-scanner.js';
import { MessageEncodeError } from './message-encode-error.js';
import { fdsMessage, type FramerLimits, type MessageCodec, type MessageFramer } from './message-codec.js';

/** Decodes and validates in one pass; keeps a byte order mark (a message never starts with one). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON.stringify, with its refusals (a BigInt, a cycle, a throwing toJSON) as MessageEncodeError. */
function stringify(value: object): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new MessageEncodeError(`message cannot be encoded as JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof text !== 'string') throw new MessageEncodeError('message cannot be encoded as JSON: it serialises to nothing');
  return text;
}

/** Serialises `message` with its top-level `fds` member set to `count` (omitted when 0). */
function serialise(message: object, count: number): string {
  const out = fdsMessage(message, count);
  if (out === null) {
    // Same text as {...message, fds: count} (`fds` goes last) without copying the object, which costs
    // more than the serialisation itself for a small message.
    const text = stringify(message);
    return text === '{}' ? `{"fds":${count}}` : `${text.slice(0, -1)},"fds":${count}}`;
  }
  return stringify(out);
}

/**
 * The JSON codec of `spec/jsonrpc-fdpass.md`, the default: UTF-8 JSON texts, whitespace between
 * messages, a space (0x20) as the continuation filler.
 */
export const jsonCodec: MessageCodec = {
  name: 'json',
  filler: 0x20,
  isFiller: isJsonWhitespace,
  createFramer(limits: FramerLimits): MessageFramer {
    // decode() validates UTF-8 with a fatal decoder: one pass instead of two.
    return new JsonScanner({ ...limits, validateUtf8: false });
  },
  decode(message) {
    let text: string;
    try {
      text = utf8.decode(message.bytes);
    } catch {
      throw new JsonFramingError('invalid-utf8', message.start, 'message is not valid UTF-8');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new JsonFramingError('syntax', message.start, 'message is not valid JSON', { cause: err });
    }
  },
  encode(message, fdCount) {
    return Buffer.from(serialise(message, fdCount), 'utf8');
  },
};
