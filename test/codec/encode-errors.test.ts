// A message a codec cannot encode fails with one coded error, MessageEncodeError (a TypeError), whose
// message says which codec and why: not a raw JSON.stringify TypeError ("Do not know how to serialize
// a BigInt") that a caller cannot tell from a bug of its own.
import { describe, expect, it } from 'vitest';
import { jsonCodec, msgpackCodec } from '../../src/codec/index.js';
import type { MessageCodec } from '../../src/codec/index.js';

const cyclic: Record<string, unknown> = { jsonrpc: '2.0' };
cyclic['self'] = cyclic;

describe.each([
  ['json', jsonCodec],
  ['msgpack', msgpackCodec()],
] as Array<[string, MessageCodec]>)('the %s codec', (name, codec) => {
  it.each([
    ['a cycle', cyclic, 0, name === 'json' ? /circular/ : /./],
    ['a cycle, with fds', cyclic, 2, name === 'json' ? /circular/ : /./],
    ['fds on a batch array', [{ id: 1 }], 1, /batch/],
    ['null', null, 0, /must be an object/],
    ...(name === 'json' ? ([['a BigInt', { id: 1n }, 0, /BigInt/]] as const) : []),
  ] as Array<[string, unknown, number, RegExp]>)('refuses %s with ERR_MESSAGE_ENCODE', (_label, message, fds, why) => {
    let error: unknown;
    try {
      codec.encode(message as object, fds);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ name: 'MessageEncodeError', code: 'ERR_MESSAGE_ENCODE' });
    expect((error as Error).message).toMatch(why);
  });
});
