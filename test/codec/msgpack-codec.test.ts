import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MsgpackFramingError, isMsgpackAvailable, msgpackCodec } from '../../src/codec/index.js';

// An independent packer with the same map form (variable size headers) to compare bytes with.
const reference = new Packr({ useRecords: false, variableMapSize: true });
const codec = msgpackCodec();

const decode = (bytes: Uint8Array): unknown => codec.decode({ bytes: Buffer.from(bytes), start: 0, end: bytes.length });
const withKeys = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe('msgpackCodec', () => {
  it('is available here (msgpackr is installed) and names itself for negotiation', () => {
    expect(isMsgpackAvailable()).toBe(true);
    expect([codec.name, codec.filler, codec.isFiller(0xc1), codec.isFiller(0x20)]).toEqual(['msgpack', 0xc1, true, false]);
  });

  it.each([
    [0, 1],
    [1, 127],
    [14, 128],
    [15, 255],
    [16, 256],
    [200, 65_535],
    [65_535, 65_536],
  ])('adds "fds" as the last pair of a map of %i keys, count %i, exactly as packing the copy would', (keys, count) => {
    const message = withKeys(keys);
    const bytes = Buffer.from(codec.encode(message, count));
    expect(bytes.equals(reference.pack({ ...message, fds: count }))).toBe(true);
    const decoded = decode(bytes) as Record<string, unknown>;
    expect(Object.keys(decoded).at(-1)).toBe('fds');
    expect(decoded['fds']).toBe(count);
    expect(Object.hasOwn(message, 'fds')).toBe(false);
  });

  it('replaces a caller fds value, drops it without fds, and leaves class instances to the copying path', () => {
    expect(decode(codec.encode({ a: 1, fds: 9 }, 2))).toEqual({ a: 1, fds: 2 });
    expect(decode(codec.encode({ a: 1, fds: 9 }, 0))).toEqual({ a: 1 });
    class Message {
      jsonrpc = '2.0';
      id = 3;
    }
    expect(decode(codec.encode(new Message(), 1))).toEqual({ jsonrpc: '2.0', id: 3, fds: 1 });
  });

  it('refuses fds on a batch array and values that are not objects', () => {
    expect(() => codec.encode([{ a: 1 }], 1)).toThrow(TypeError);
    expect(() => codec.encode(null as unknown as object, 0)).toThrow(TypeError);
    expect(decode(codec.encode([{ a: 1 }], 0))).toEqual([{ a: 1 }]);
  });

  it('turns what msgpackr cannot decode into a framing error at the message offset', () => {
    let caught: unknown;
    try {
      codec.decode({ bytes: Buffer.from([0x81, 0xa1, 0x61, 0xd4, 0x33, 0x00]), start: 40, end: 46 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MsgpackFramingError);
    expect((caught as MsgpackFramingError).reason).toBe('syntax');
    expect((caught as MsgpackFramingError).offset).toBe(40);
  });
});
