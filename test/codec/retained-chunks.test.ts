// A message that stays unfinished across many small reads must not keep alive the large buffers those
// reads were views of. UnixSocket hands out reads as views of a 128 KiB pool shared by every socket of
// the thread: a peer trickling one byte per read while other connections move the pool on would
// otherwise pin one pool per byte, without bound (the message limit counts bytes, not pools).
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encode } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { JsonScanner } from '../../src/codec/json-scanner.js';
import { MsgpackSkipper } from '../../src/codec/msgpack-skipper.js';
import { NulFramer } from '../../src/codec/nul-framer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const POOL = 128 * 1024;
const READS = 20;

interface Framer {
  push(chunk: Buffer): void;
  next(): { bytes: Buffer } | null;
}

/** NulFramer returns the message itself; wrapped to the shape of the other framers. */
function nulFramer(): Framer {
  const framer = new NulFramer();
  return {
    push: (chunk) => framer.push(chunk),
    next: () => {
      const message = framer.next();
      return message === null ? null : { bytes: message };
    },
  };
}

/**
 * Pushes `head`, then `body` one byte per read, each byte a view of its own pool-sized buffer (as if
 * other connections used up the pool in between), then `tail`. Returns the completed value's bytes
 * and how many of the pools were still alive while the value was unfinished.
 */
async function trickle(framer: Framer, head: Buffer, body: Buffer, tail: Buffer): Promise<{ value: Buffer; alivePools: number }> {
  framer.push(head);
  expect(framer.next()).toBeNull();
  const pools = pushOneBytePerPool(framer, body);
  // WeakRefs made in this job stay alive until it ends: let it end, then collect.
  await sleep(0);
  gc();
  await sleep(0);
  const alivePools = pools.filter((ref) => ref.deref() !== undefined).length;
  framer.push(tail);
  const value = framer.next();
  expect(value).not.toBeNull();
  return { value: Buffer.from(value!.bytes), alivePools };
}

/** A function of its own, so that no local of the caller's async frame holds the last pool. */
function pushOneBytePerPool(framer: Framer, body: Buffer): Array<WeakRef<ArrayBuffer>> {
  const pools: Array<WeakRef<ArrayBuffer>> = [];
  for (const byte of body) {
    const pool = Buffer.allocUnsafeSlow(POOL);
    pool[POOL - 1] = byte;
    framer.push(pool.subarray(POOL - 1));
    pools.push(new WeakRef(pool.buffer));
    expect(framer.next()).toBeNull();
  }
  return pools;
}

describe('an unfinished message trickling in one byte per read', () => {
  it('JsonScanner keeps its bytes, not the pools they were views of', async () => {
    const body = Buffer.from('x'.repeat(READS));
    const { value, alivePools } = await trickle(new JsonScanner(), Buffer.from('{"a":"'), body, Buffer.from('"}'));
    expect(value.toString()).toBe(`{"a":"${'x'.repeat(READS)}"}`);
    expect(alivePools).toBe(0);
  });

  it('MsgpackSkipper keeps its bytes, not the pools they were views of', async () => {
    const packed = Buffer.from(encode({ a: 'y'.repeat(READS), b: 1 }));
    const head = packed.subarray(0, 5); // the map header and the key "a"
    const body = packed.subarray(5, 5 + READS);
    const tail = packed.subarray(5 + READS);
    const { value, alivePools } = await trickle(new MsgpackSkipper(), head, body, tail);
    expect(value.equals(packed)).toBe(true);
    expect(alivePools).toBe(0);
  });

  it('NulFramer (Varlink) keeps its bytes, not the pools they were views of', async () => {
    const body = Buffer.from('z'.repeat(READS));
    const { value, alivePools } = await trickle(nulFramer(), Buffer.from('{"method":"'), body, Buffer.from('"}\0{"next"'));
    expect(value.toString()).toBe(`{"method":"${'z'.repeat(READS)}"}`);
    expect(alivePools).toBe(0);
  });
});
