import { describe, expect, it } from 'vitest';
import { loadVectors } from '../../src/conformance/vectors.js';
import { receiverDifferences, runReceiverVector } from '../../src/conformance/run-receiver-vector.js';
import { runSenderVector, senderDifferences, senderSetups } from '../../src/conformance/run-sender-vector.js';
import { runVectorSuite } from '../../src/conformance/run-vector-suite.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

const vectors = loadVectors();

expectNoFdLeaks({ timeoutMs: 0 });

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

describe('the runners notice a channel that does not match', () => {
  const byName = (name: string) => {
    const v = vectors.receiver.find((x) => x.name === name);
    if (v === undefined) throw new Error(`no vector ${name}`);
    return v;
  };

  it('reports wrong fd counts, late dispatch and a different JSON value', async () => {
    const vector = byName('fds-batched-two-reads');
    const outcome = await runReceiverVector(vector);
    const [m] = vector.expect.messages;
    const altered = { ...vector, expect: { messages: [{ ...m!, fds: 2, afterRead: 0, json: { fds: 2 } }], fatal: null } };
    expect(receiverDifferences(altered, outcome)).toEqual([
      'message 0 is {"fds":3}, expected {"fds":2}',
      'message 0 got 3 fds, expected 2',
      'message 0 came after step 1, expected after step 0',
    ]);
  });

  it('reports a fatal error with another reason or at another step, and a missing one', async () => {
    const vector = byName('steal-same-count');
    const outcome = await runReceiverVector(vector);
    expect(outcome.fatal).toEqual({ reason: 'mismatched-count', afterRead: 1 });
    expect(receiverDifferences({ ...vector, expect: { messages: [], fatal: { reason: 'framing', afterRead: 0 } } }, outcome)).toEqual([
      'fatal error "mismatched-count" after step 1, expected "framing" after step 0',
    ]);
    expect(receiverDifferences({ ...vector, expect: { messages: [], fatal: null } }, outcome)).toHaveLength(1);
    const clean = await runReceiverVector(byName('empty-object'));
    expect(receiverDifferences({ ...byName('empty-object'), expect: { messages: [], fatal: { reason: 'limit', afterRead: 0 } } }, clean)).toEqual([
      'unexpected message 0: {} with 0 fds after step 0',
      'expected fatal error "limit" after step 0, got none',
    ]);
  });

  it('reports sends batched differently', async () => {
    const vector = vectors.sender.find((v) => v.name === 'send-three-batches')!;
    const outcome = await runSenderVector(vector, 'memory');
    const swapped = { ...vector, expect: { sends: [vector.expect.sends[0]!, vector.expect.sends[2]!, vector.expect.sends[1]!] } };
    expect(senderDifferences(swapped, 'memory', outcome)).toEqual(['read 1 carried 253 fds, expected 1', 'read 2 carried 1 fds, expected 253']);
  });
});

describe('runVectorSuite (what the conformance verb runs)', () => {
  it('runs every vector once per setup, reports each as it completes, and all pass', async () => {
    const seen: string[] = [];
    const results = await runVectorSuite(vectors, (r) => seen.push(`${r.kind} ${r.name} ${r.setup ?? ''}`));
    const senderRuns = vectors.sender.reduce((n, v) => n + senderSetups(v).length, 0);
    expect(results).toHaveLength(vectors.receiver.length + senderRuns);
    expect(seen).toHaveLength(results.length);
    expect(results.filter((r) => r.differences.length > 0)).toEqual([]);
  });
});
