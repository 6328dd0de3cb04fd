import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadVectors } from '../../src/conformance/vectors.js';
import { receiverDifferences, runReceiverVector } from '../../src/conformance/run-receiver-vector.js';

const vectors = loadVectors();

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

let before = 0;
beforeEach(() => {
  before = openFdCount();
});
afterEach(() => {
  expect(openFdCount()).toBe(before);
});

describe('receiver vectors on FdPassChannel over the memory transport', () => {
  it.each(vectors.receiver.map((v) => [`${v.file} ${v.name}`, v] as const))('%s', async (_label, vector) => {
    const outcome = await runReceiverVector(vector);
    expect(receiverDifferences(vector, outcome)).toEqual([]);
  });
});
