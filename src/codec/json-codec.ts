import { JsonFramingError } from './json-framing-error.js';
import { JsonScanner, isJsonWhitespace } from './json-scanner.js';
import { fdsMessage, type FramerLimits, type MessageCodec, type MessageFramer } from './message-codec.js';

/** Decodes and validates in one pass; keeps a byte order mark (a message never starts with one). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Serialises `message` with its top-level `fds` member set to `count` (omitted when 0). */
function serialise(message: object, count: number): string {
  const out = fdsMessage(message, count);
  if (out === null) {
    // Same text as {...message, fds: count} (`fds` goes last) without copying the object, which costs
    // more than the serialisation itself for a small message.
    const text = JSON.stringify(message);
    return text === '{}' ? `{"fds":${count}}` : `${text.slice(0, -1)},"fds":${count}}`;
  }
  const text = JSON.stringify(out);
  if (typeof text !== 'string') throw new TypeError('message is not serialisable');
  return text;
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
