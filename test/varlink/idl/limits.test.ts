// Input that would overflow the stack, flood an error message or stall the event loop: IDL nesting,
// quoted tokens, JSON depth, megabytes of digits.
import { describe, expect, it } from 'vitest';
import { parseInterface, VARLINK_IDL_MAX_NESTING } from '../../../src/varlink/idl/parse-interface.js';
import { checkParameters } from '../../../src/varlink/idl/validate.js';
import { VarlinkIdlError } from '../../../src/varlink/idl/varlink-idl-error.js';
import {
  parseVarlinkJson,
  stringifyVarlinkJson,
  VARLINK_JSON_MAX_DEPTH,
  VarlinkJsonError,
} from '../../../src/varlink/idl/varlink-json.js';

function idlError(text: string): VarlinkIdlError {
  try {
    parseInterface(text);
  } catch (err) {
    expect(err).toBeInstanceOf(VarlinkIdlError);
    return err as VarlinkIdlError;
  }
  throw new Error('parsed');
}

describe('IDL nesting', () => {
  const deep = (depth: number): Record<string, string> => ({
    '[]': `interface a.b\ntype T (x: ${'[]'.repeat(depth)}string)\n`,
    '?[]': `interface a.b\ntype T (x: ${'?[]'.repeat(depth)}string)\n`,
    '[string]': `interface a.b\ntype T (x: ${'[string]'.repeat(depth)}int)\n`,
    'anonymous struct': `interface a.b\ntype T (x: ${'(x: '.repeat(depth)}string${')'.repeat(depth)})\n`,
  });

  it.each(Object.keys(deep(1)))('refuses 5,000 levels of %s as an IDL error with a position, not a stack overflow', (kind) => {
    const err = idlError(deep(5000)[kind]!);
    expect(err.code).toBe('ERR_VARLINK_IDL');
    expect(err.detail).toBe(`types nested deeper than ${VARLINK_IDL_MAX_NESTING} levels`);
    expect(err.line).toBe(2);
    expect(err.column).toBeGreaterThan(VARLINK_IDL_MAX_NESTING);
  });

  // The limit counts the type expressions on the path from a field down to its leaf, the leaf included.
  it.each(Object.keys(deep(1)))('accepts %s nested right up to the limit, and refuses one level more', (kind) => {
    expect(parseInterface(deep(VARLINK_IDL_MAX_NESTING - 1)[kind]!).name).toBe('a.b');
    expect(idlError(deep(VARLINK_IDL_MAX_NESTING)[kind]!).detail).toMatch(/nested deeper/);
  });
});

describe('IDL error messages', () => {
  it('quote at most 40 characters of a megabyte of garbage', () => {
    const err = idlError('x'.repeat(1 << 20));
    expect(err.message).toBe(`line 1, column 1: expected 'interface', found '${'x'.repeat(40)}…'`);
  });

  it('cut a huge invalid name', () => {
    const err = idlError(`interface a.b\ntype ${'Q_'.repeat(100_000)} (x: int)\n`);
    expect(err.message.length).toBeLessThan(200);
    expect(err.detail).toContain('…');
  });

  it('quote short tokens whole', () => {
    expect(idlError('interface a.b\nfoo T (x: int)\n').detail).toBe("expected 'type', 'method' or 'error', found 'foo'");
  });
});

describe('JSON depth', () => {
  const nested = (depth: number, leaf = ''): string => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

  it.each([
    ['native', ''],
    ['lossless (a big integer inside)', '9007199254740993'],
  ])('parses exactly the limit and refuses one more (%s path)', (_path, leaf) => {
    expect(() => parseVarlinkJson(nested(VARLINK_JSON_MAX_DEPTH, leaf))).not.toThrow();
    expect(() => parseVarlinkJson(nested(VARLINK_JSON_MAX_DEPTH + 1, leaf))).toThrow(VarlinkJsonError);
    expect(() => parseVarlinkJson(nested(200_000, leaf))).toThrow(/nested deeper than 2048/);
  });

  it('writes back everything it parses, and refuses deeper values as VarlinkJsonError (never RangeError)', () => {
    const text = nested(VARLINK_JSON_MAX_DEPTH);
    expect(stringifyVarlinkJson(parseVarlinkJson(text))).toBe(text);
    let deep: unknown = [];
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(() => stringifyVarlinkJson(deep)).toThrow(VarlinkJsonError);
    const withBig = [deep, 1n];
    expect(() => stringifyVarlinkJson(withBig)).toThrow(VarlinkJsonError);
    let justOver: unknown = [];
    for (let i = 1; i <= VARLINK_JSON_MAX_DEPTH; i++) justOver = [justOver];
    expect(() => stringifyVarlinkJson(justOver)).toThrow(/nested deeper/);
  });

  it('does not count brackets inside strings', () => {
    const text = `{"s":${JSON.stringify('['.repeat(10_000) + '\\"[')}}`;
    expect(parseVarlinkJson(text)).toEqual({ s: `${'['.repeat(10_000)}\\"[` });
  });

  it('writes sparse array holes as null, like JSON.stringify', () => {
    expect(stringifyVarlinkJson([1n, , 2])).toBe('[1,null,2]');
  });
});

describe('megabytes of digits from a hostile peer', () => {
  // Converting them to bigint (and back, for the message) is superlinear: a 15 MB number in a call
  // held the service's event loop for about 9 s, every other connection with it.
  const digits = '7'.repeat(15_000_000);
  const iface = parseInterface('interface a.b\nmethod M(i: int) -> ()\n');
  const input = iface.methods.get('M')!.input;

  it('keeps integer literals of up to 1,000 characters exact and reads longer ones as a double, like JSON.parse', () => {
    const exact = `9${'0'.repeat(999)}`;
    expect(parseVarlinkJson(`[${exact}]`)).toEqual([BigInt(exact)]);
    expect(parseVarlinkJson(`[${exact}0]`)).toEqual([Number.POSITIVE_INFINITY]);
    const started = Date.now();
    expect(parseVarlinkJson(`{"i":${digits}}`)).toEqual({ i: Number.POSITIVE_INFINITY });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses an int parameter written as a 15 MB decimal string at once, quoting 20 digits of it', () => {
    const started = Date.now();
    const problem = checkParameters(iface, input, { i: digits }, { convertIntStrings: true });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(problem?.reason).toBe(`${'7'.repeat(20)}…(15000000 digits) is outside the 64-bit integer range`);
    expect(checkParameters(iface, input, { i: `-${'9'.repeat(19)}` })?.reason).toBe(`-${'9'.repeat(19)} is outside the 64-bit integer range`);
  });
});
