import { createRequire } from 'node:module';
import { fdsMessage, type FramerLimits, type MessageCodec, type MessageFramer } from './message-codec.js';
import { MessageEncodeError } from './message-encode-error.js';
import { MsgpackFramingError } from './msgpack-framing-error.js';
import { MSGPACK_FILLER, MsgpackSkipper } from './msgpack-skipper.js';
import { MsgpackUnavailableError } from './msgpack-unavailable-error.js';

/** The part of msgpackr we use; declared here so that our public types never name the optional package. */
interface Packr {
  pack(value: unknown): Buffer;
  unpack(bytes: Uint8Array): unknown;
}
interface MsgpackrModule {
  Packr: new (options: Record<string, unknown>) => Packr;
}

/**
 * Settings chosen for interoperability with other msgpack implementations and for JSON's semantics
 * (see `spec/msgpack.md`):
 * - `useRecords: false`: plain maps only, no msgpackr record extension other decoders cannot read;
 * - `mapsAsObjects`: maps decode to plain objects, as JSON objects do (`__proto__` keys are renamed
 *   by msgpackr, so a message cannot reach a prototype);
 * - `skipValues: [undefined]` and `encodeUndefinedAsNil`: a property holding `undefined` is left out
 *   and an `undefined` array element is nil, exactly what JSON.stringify does;
 * - `int64AsType: 'auto'`: 64-bit integers that fit a double's safe range decode to numbers (so an
 *   `fds` count or an id sent as uint64 by another encoder still works), larger ones to BigInt;
 * - `copyBuffers`: a decoded bin is its own memory, not a view that would pin the receive buffer.
 */
const PACKR_OPTIONS = {
  useRecords: false,
  mapsAsObjects: true,
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
  int64AsType: 'auto',
  copyBuffers: true,
} as const;

let loaded: { codec: MessageCodec } | { error: unknown } | undefined;

/**
 * True when `msgpackr` can be loaded, i.e. {@link msgpackCodec} works. Loads it on first call.
 */
export function isMsgpackAvailable(): boolean {
  return 'codec' in load();
}

/**
 * The msgpack codec of `spec/msgpack.md`: each message is one msgpack map, 0xc1 is the filler byte.
 * `msgpackr` (an optional dependency) is loaded on first use.
 * @throws {MsgpackUnavailableError} when `msgpackr` is not installed.
 */
export function msgpackCodec(): MessageCodec {
  const result = load();
  if ('codec' in result) return result.codec;
  throw new MsgpackUnavailableError({ cause: result.error });
}

function load(): { codec: MessageCodec } | { error: unknown } {
  if (loaded === undefined) {
    try {
      // Synchronous so that building a channel stays synchronous; the package is CommonJS-loadable.
      const msgpackr = createRequire(import.meta.url)('msgpackr') as MsgpackrModule;
      loaded = { codec: createCodec(new msgpackr.Packr(PACKR_OPTIONS)) };
    } catch (error) {
      loaded = { error };
    }
  }
  return loaded;
}

function createCodec(packr: Packr): MessageCodec {
  return {
    name: 'msgpack',
    filler: MSGPACK_FILLER,
    isFiller: (byte) => byte === MSGPACK_FILLER,
    createFramer(limits: FramerLimits): MessageFramer {
      return new MsgpackSkipper(limits);
    },
    decode(message) {
      try {
        return packr.unpack(message.bytes);
      } catch (err) {
        // The skipper only delimits; msgpackr rejects what it cannot decode (e.g. an unknown ext type).
        throw new MsgpackFramingError('syntax', message.start, 'message is not valid msgpack', { cause: err });
      }
    },
    encode(message, fdCount) {
      const out = fdsMessage(message, fdCount);
      if (out !== null) return pack(packr, out);
      // Copying the object to add `fds` costs three times the packing of a small message; adding the
      // pair to the packed map costs one copy of its bytes.
      return appendFdsPair(pack(packr, message), fdCount) ?? pack(packr, { ...message, fds: fdCount });
    },
  };
}

function pack(packr: Packr, value: unknown): Buffer {
  try {
    return packr.pack(value);
  } catch (err) {
    throw new MessageEncodeError(`message cannot be encoded as msgpack: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

const FDS_KEY = [0xa3, 0x66, 0x64, 0x73]; // fixstr "fds"

/**
 * `packed` (a map without an `fds` key) with the pair `"fds": count` added last — the bytes of
 * `{...message, fds: count}` — or null when `packed` does not start with a map header.
 */
function appendFdsPair(packed: Buffer, count: number): Buffer | null {
  const b0 = packed[0]!;
  let pairs: number;
  let headerLength: number;
  if (b0 >= 0x80 && b0 <= 0x8f) {
    pairs = b0 & 0x0f;
    headerLength = 1;
  } else if (b0 === 0xde) {
    pairs = packed.readUInt16BE(1);
    headerLength = 3;
  } else if (b0 === 0xdf) {
    pairs = packed.readUInt32BE(1);
    headerLength = 5;
  } else {
    return null;
  }
  pairs++;
  const newHeaderLength = pairs < 16 ? 1 : pairs < 0x10000 ? 3 : 5;
  const valueLength = count < 0x80 ? 1 : count < 0x100 ? 2 : count < 0x10000 ? 3 : 5;
  const bodyLength = packed.length - headerLength;
  const out = Buffer.allocUnsafe(newHeaderLength + bodyLength + FDS_KEY.length + valueLength);
  if (newHeaderLength === 1) out[0] = 0x80 | pairs;
  else if (newHeaderLength === 3) {
    out[0] = 0xde;
    out.writeUInt16BE(pairs, 1);
  } else {
    out[0] = 0xdf;
    out.writeUInt32BE(pairs, 1);
  }
  packed.copy(out, newHeaderLength, headerLength);
  let at = newHeaderLength + bodyLength;
  for (const byte of FDS_KEY) out[at++] = byte;
  if (valueLength === 1) out[at] = count;
  else if (valueLength === 2) {
    out[at] = 0xcc;
    out[at + 1] = count;
  } else if (valueLength === 3) {
    out[at] = 0xcd;
    out.writeUInt16BE(count, at + 1);
  } else {
    out[at] = 0xce;
    out.writeUInt32BE(count, at + 1);
  }
  return out;
}
