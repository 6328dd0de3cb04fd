import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FATAL_REASONS,
  VectorFormatError,
  defaultVectorsDir,
  listVectorFiles,
  loadVectors,
  parseVectorFile,
} from '../../src/conformance/vectors.js';
import { checkSchema } from './json-schema-subset.js';
import type { Schema } from './json-schema-subset.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

const dir = defaultVectorsDir();
const schema = JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')) as Schema;
const files = listVectorFiles(dir);

expectNoFdLeaks({ timeoutMs: 0 });

/** A valid receiver file with one vector, for the negative cases to break. */
function receiverFile(vector: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'receiver',
    vectors: [
      {
        name: 'sample',
        description: 'A message with one fd.',
        rule: 'test',
        reads: [{ utf8: '{"fds":1}', fds: 1 }, { eof: true }],
        expect: { messages: [{ json: { fds: 1 }, fds: 1, afterRead: 0 }] },
        ...vector,
      },
    ],
  };
}

function senderFile(vector: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'sender',
    vectors: [
      {
        name: 'sample-send',
        description: 'Three fds in batches of two.',
        rule: 'test',
        sendmsg: { fdLimit: 253, startBatch: 2 },
        messages: [{ json: { method: 'm' }, fds: 3 }],
        expect: { sends: [{ json: { method: 'm', fds: 3 }, fds: 2 }, { utf8: ' ', fds: 1 }] },
        ...vector,
      },
    ],
  };
}

function validatorError(doc: unknown): string {
  try {
    parseVectorFile(JSON.stringify(doc), 'broken.json');
  } catch (err) {
    expect(err).toBeInstanceOf(VectorFormatError);
    return (err as Error).message;
  }
  throw new Error('the validator accepted a broken vector file');
}

describe('the vector files in spec/vectors', () => {
  it('are found: receiver and sender files', () => {
    expect(files.some((f) => f.startsWith('receiver/'))).toBe(true);
    expect(files.some((f) => f.startsWith('sender/'))).toBe(true);
  });

  it.each(files)('%s matches schema.json', (file) => {
    expect(checkSchema(schema, JSON.parse(readFileSync(join(dir, file), 'utf8')))).toEqual([]);
  });

  it.each(files)('%s passes the loader\'s structural checks', (file) => {
    expect(parseVectorFile(readFileSync(join(dir, file), 'utf8'), file).length).toBeGreaterThan(0);
  });

  it('have unique names across all files', () => {
    const names = files.flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { vectors: { name: string }[] }).vectors.map((v) => v.name));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('cover at least 60 receiver vectors, every fatal reason, end of stream, hex reads and limits', () => {
    const { receiver, sender } = loadVectors(dir);
    expect(receiver.length).toBeGreaterThanOrEqual(60);
    expect(sender.length).toBeGreaterThan(0);
    for (const reason of FATAL_REASONS) expect(receiver.some((v) => v.expect.fatal?.reason === reason)).toBe(true);
    expect(receiver.some((v) => v.reads.some((r) => r.eof) && v.expect.fatal === null)).toBe(true);
    expect(receiver.some((v) => v.reads.some((r) => r.eof) && v.expect.fatal !== null)).toBe(true);
    const raw = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(raw).toContain('"hex"');
    expect(receiver.some((v) => Object.keys(v.limits).length > 0)).toBe(true);
  });

  it('are what tools/generate-vectors.mjs writes (no hand edits drifted from the generator)', () => {
    const out = mkdtempSync(join(tmpdir(), 'vectors-'));
    try {
      execFileSync(process.execPath, [join(dir, 'tools', 'generate-vectors.mjs'), out]);
      const generated = listVectorFiles(out);
      expect(generated).toEqual(files);
      for (const f of files) expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(dir, f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('broken vector files are rejected', () => {
  it('the samples themselves are valid for both checkers', () => {
    for (const doc of [receiverFile(), senderFile()]) {
      expect(checkSchema(schema, doc)).toEqual([]);
      expect(parseVectorFile(JSON.stringify(doc), 'ok.json')).toHaveLength(1);
    }
  });

  // Broken in ways JSON Schema can say: both the schema and the loader must refuse them.
  const structural: [string, Record<string, unknown>][] = [
    ['a name that is not kebab-case', receiverFile({ name: 'Not_Kebab' })],
    ['an empty description', receiverFile({ description: '' })],
    ['a read with both utf8 and hex', receiverFile({ reads: [{ utf8: '{}', hex: '7b7d' }] })],
    ['a read with neither utf8 nor hex', receiverFile({ reads: [{ fds: 1 }] })],
    ['an empty read', receiverFile({ reads: [{ utf8: '' }], expect: { messages: [] } })],
    ['upper-case hex', receiverFile({ reads: [{ hex: '7B7D' }], expect: { messages: [] } })],
    ['odd-length hex', receiverFile({ reads: [{ hex: '7b7' }], expect: { messages: [] } })],
    ['a negative fd count', receiverFile({ reads: [{ utf8: '{}', fds: -1 }], expect: { messages: [] } })],
    ['a fractional fd count', receiverFile({ reads: [{ utf8: '{}', fds: 1.5 }], expect: { messages: [] } })],
    ['eof: false', receiverFile({ reads: [{ eof: false }], expect: { messages: [] } })],
    ['an unknown fatal reason', receiverFile({ expect: { messages: [], fatal: { reason: 'oops', afterRead: 0 } } })],
    ['an unknown limit', receiverFile({ limits: { maxWidth: 3 } })],
    ['an unknown member', receiverFile({ extra: 1 })],
    ['a message without afterRead', receiverFile({ expect: { messages: [{ json: {}, fds: 0 }] } })],
    ['a sender message that is not an object', senderFile({ messages: [{ json: [1], fds: 0 }], expect: { sends: [{ json: [1], fds: 0 }] } })],
    ['a send with json and utf8', senderFile({ expect: { sends: [{ json: {}, utf8: ' ', fds: 3 }] } })],
    ['a zero start batch', senderFile({ sendmsg: { fdLimit: 253, startBatch: 0 } })],
  ];
  it.each(structural)('%s', (_label, doc) => {
    expect(checkSchema(schema, doc)).not.toEqual([]);
    expect(validatorError(doc)).toMatch(/^broken\.json: \$\.vectors\[0\]/);
  });

  // Broken in ways only the loader can see (ranges, order and sums across members).
  const semantic: [string, Record<string, unknown>, RegExp][] = [
    ['afterRead past the last step', receiverFile({ expect: { messages: [{ json: { fds: 1 }, fds: 1, afterRead: 5 }] } }), /afterRead: must name a step/],
    ['a message completing at end of stream', receiverFile({ expect: { messages: [{ json: { fds: 1 }, fds: 1, afterRead: 1 }] } }), /end of stream/],
    ['eof before the last step', receiverFile({ reads: [{ eof: true }, { utf8: '{}' }], expect: { messages: [] } }), /must be the last step/],
    ['messages out of order', receiverFile({
      reads: [{ utf8: '{}' }, { utf8: '{}' }],
      expect: { messages: [{ json: {}, fds: 0, afterRead: 1 }, { json: {}, fds: 0, afterRead: 0 }] },
    }), /dispatch order/],
    ['a message claiming fds that have not arrived', receiverFile({ reads: [{ utf8: '{"fds":1}' }, { utf8: ' ', fds: 1 }] }), /only 0 fds arrived up to step 0/],
    ['a message after the fatal error', receiverFile({
      reads: [{ utf8: '{}' }, { utf8: '{}' }],
      expect: { messages: [{ json: {}, fds: 0, afterRead: 1 }], fatal: { reason: 'framing', afterRead: 0 } },
    }), /after the fatal error/],
    ['sends carrying fewer fds than the messages', senderFile({ expect: { sends: [{ json: { method: 'm', fds: 3 }, fds: 2 }] } }), /carry 2 fds but the messages have 3/],
    ['a send above the fd limit', senderFile({ sendmsg: { fdLimit: 2, startBatch: 2 }, expect: { sends: [{ json: {}, fds: 3 }] } }), /more than fdLimit/],
    ['a lone surrogate in utf8', receiverFile({ reads: [{ utf8: '{"s":"\ud800"}' }], expect: { messages: [] } }), /lone surrogate/],
  ];
  it.each(semantic)('%s', (_label, doc, message) => {
    expect(validatorError(doc)).toMatch(message);
  });

  it('a name used in two files', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vectors-dup-'));
    try {
      mkdirSync(join(tmp, 'receiver'));
      writeFileSync(join(tmp, 'receiver', 'a.json'), JSON.stringify(receiverFile()));
      writeFileSync(join(tmp, 'receiver', 'b.json'), JSON.stringify(receiverFile()));
      expect(() => loadVectors(tmp)).toThrow(/receiver\/b\.json: sample: vector name already used in receiver\/a\.json/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a file that is not JSON', () => {
    expect(() => parseVectorFile('{"kind":', 'x.json')).toThrow(/^x\.json: \$: not JSON/);
  });
});
