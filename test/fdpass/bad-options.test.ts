// Limit options that are not numbers (NaN from a failed Number(), a string) would compare false
// against everything and silently switch the limit off; each is refused when the channel is built.
import { describe, expect, it } from 'vitest';
import { FdPassChannel } from '../../src/fdpass/channel.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';

describe('FdPassChannel limit options', () => {
  it.each(['maxMessageBytes', 'maxFdsPerMessage', 'maxQueuedFds', 'maxDepth', 'fatalErrorTimeoutMs'])(
    '%s that is NaN, a string or negative throws ERR_OUT_OF_RANGE',
    (name) => {
      const [a, b] = memoryTransportPair();
      for (const value of [Number.NaN, '10', -1]) {
        expect(() => new FdPassChannel(a, { [name]: value })).toThrow(
          expect.objectContaining({ name: 'ArgumentRangeError', code: 'ERR_OUT_OF_RANGE' }),
        );
      }
      // A number (Infinity: no limit) is accepted.
      const channel = new FdPassChannel(a, { [name]: Number.POSITIVE_INFINITY });
      channel.destroy();
      b.destroy();
    },
  );
});
