import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadVectors } from '../../src/conformance/vectors.js';
import { receiverDifferences, runReceiverVector } from '../../src/conformance/run-receiver-vector.js';
import { runSenderVector, senderDifferences, senderSetups } from '../../src/conformance/run-sender-vector.js';

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

describe('sender vectors through FdPassChannel.send', () => {
  const cases = vectors.sender.flatMap((v) => senderSetups(v).map((setup) => [`${setup} ${v.name}`, v, setup] as const));

  it('every sender vector runs on at least one setup', () => {
    expect(vectors.sender.filter((v) => senderSetups(v).length === 0).map((v) => v.name)).toEqual([]);
  });

  it.each(cases)('%s', async (_label, vector, setup) => {
    const outcome = await runSenderVector(vector, setup);
    expect(senderDifferences(vector, setup, outcome)).toEqual([]);
  });
});
