import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ORG_VARLINK_SERVICE_IDL,
  parseInterface,
  VarlinkIdlError,
  type VarlinkMethod,
  type VarlinkStructType,
} from '../../../src/varlink/idl/index.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../fixtures/varlink/${name}`, import.meta.url)), 'utf8');

function parseError(text: string): VarlinkIdlError {
  try {
    parseInterface(text);
  } catch (e) {
    if (e instanceof VarlinkIdlError) return e;
    throw e;
  }
  throw new Error('expected a VarlinkIdlError');
}

function method(text: string, name: string): VarlinkMethod {
  const m = parseInterface(text).methods.get(name);
  if (!m) throw new Error(`no method ${name}`);
  return m;
}

describe('parseInterface', () => {
  it('reads the certification IDL, including ?[]?[string](foo, bar, baz)', () => {
    const iface = parseInterface(fixture('org.varlink.certification.varlink'));
    expect(iface.name).toBe('org.varlink.certification');
    expect(iface.doc?.split('\n')[0]).toBe('Interface to test varlink implementations against.');
    expect(iface.members.map((m) => m.name)).toEqual([
      'Interface', 'MyType', 'Start', 'Test01', 'Test02', 'Test03', 'Test04', 'Test05', 'Test06', 'Test07',
      'Test08', 'Test09', 'Test10', 'Test11', 'End', 'ClientIdError', 'CertificationError',
    ]);
    const foo = iface.types.get('Interface')?.type as VarlinkStructType;
    expect(foo.fields[0]).toEqual({
      name: 'foo',
      type: {
        kind: 'nullable',
        type: {
          kind: 'array',
          element: {
            kind: 'nullable',
            type: {
              kind: 'map',
              value: { kind: 'enum', values: [{ name: 'foo' }, { name: 'bar' }, { name: 'baz' }] },
            },
          },
        },
      },
    });
    expect(iface.methods.get('Test08')?.output.fields[0]?.type).toEqual({ kind: 'set' });
    expect(iface.methods.get('Test10')?.doc).toBe('returns more than one reply with "continues"');
    expect(iface.errors.get('CertificationError')?.parameters.fields.map((f) => f.type.kind)).toEqual(['object', 'object']);
  });

  it('keeps doc comments of interface, members, fields and enum values, and drops the rest', () => {
    const iface = parseInterface(fixture('com.example.edge-cases.varlink'));
    expect(iface.doc).toBe('Hand-written edge cases that every parser must accept.');
    const comments = iface.methods.get('Comments');
    expect(comments?.doc).toBeUndefined();
    expect(comments?.input.fields.map((f) => f.doc)).toEqual(['documents x', 'documents y, after a blank line']);
    expect(comments?.output.fields[0]?.doc).toBeUndefined();
    expect(iface.errors.get('E')?.doc).toBe('documents E');
    const state = parseInterface(fixture('io.example.markers.varlink')).types.get('State')?.type;
    expect(state).toEqual({
      kind: 'enum',
      values: [
        { name: 'inactive', doc: 'Not started yet.' },
        { name: 'active', doc: 'Up and running.' },
        { name: 'failed' },
      ],
    });
  });

  it('turns systemd flag markers into method metadata and removes them from the doc', () => {
    const text = fixture('io.example.markers.varlink');
    expect(method(text, 'List')).toMatchObject({ more: 'required', doc: 'Lists matching units, one reply each.' });
    expect(method(text, 'Watch').more).toBe('supported');
    expect(method(text, 'OpenLog')).toMatchObject({ upgrade: 'required' });
    expect(method(text, 'OpenLog').more).toBeUndefined();
    expect(method(text, 'Ping')).not.toHaveProperty('more');
    expect(method(text, 'Ping')).not.toHaveProperty('doc');
  });

  it('lets Requires win over Supports when both markers are present', () => {
    const text = "interface a.b\n# [Supports 'more' flag]\n# [Requires 'more' flag]\nmethod M() -> ()\n";
    expect(method(text, 'M')).toMatchObject({ more: 'required' });
    expect(method(text, 'M').doc).toBeUndefined();
  });

  it('does not treat a marker in a type doc as method metadata', () => {
    const iface = parseInterface("interface a.b\n# [Requires 'more' flag]\ntype T ()\n");
    expect(iface.types.get('T')?.doc).toBe("[Requires 'more' flag]");
  });

  it('accepts any, forward and recursive references, keyword field names and sets', () => {
    const iface = parseInterface(fixture('com.example.edge-cases.varlink'));
    expect(iface.name).toBe('com.example-1.edge-cases.v2');
    expect(iface.types.get('Leaf')?.type).toEqual({ kind: 'struct', fields: [{ name: 'value', type: { kind: 'any' } }] });
    const nesting = iface.methods.get('Nesting')?.input.fields.map((f) => f.type);
    expect(nesting?.[5]).toEqual({ kind: 'set' });
    expect(nesting?.[6]).toEqual({ kind: 'nullable', type: { kind: 'set' } });
    expect(nesting?.[7]).toEqual({ kind: 'array', element: { kind: 'struct', fields: [] } });
    expect(iface.methods.get('Keywords')?.input.fields.map((f) => f.name)).toEqual([
      'type', 'method', 'error', 'interface', 'bool', 'any',
    ]);
  });

  it('distinguishes a map of a nullable empty struct from a set', () => {
    const t = parseInterface('interface a.b\ntype T (m: [string]?())\n').types.get('T')?.type as VarlinkStructType;
    expect(t.fields[0]?.type).toEqual({ kind: 'map', value: { kind: 'nullable', type: { kind: 'struct', fields: [] } } });
  });

  it('handles CRLF line endings and counts lines across them', () => {
    const iface = parseInterface(fixture('com.example.crlf.varlink'));
    expect(iface.doc).toBe('Line endings are CRLF in this file.');
    expect(iface.methods.get('A')?.doc).toBe('Doc line.');
    const error = parseError('interface a.b\r\n\r\nmethod F() -> (x: )\r\n');
    expect([error.line, error.column]).toEqual([3, 19]);
  });

  it('accepts the other line breaks of the PEG (CR, U+2028) and Unicode blanks', () => {
    const iface = parseInterface('interface a.b\rtype T (a:\u00A0int)\u2028method F() -> ()\u3000\n');
    expect([...iface.types.keys(), ...iface.methods.keys()]).toEqual(['T', 'F']);
  });

  it('accepts a comment that ends the text without a final line break', () => {
    expect(parseInterface('interface a.b\nmethod F() -> () # done').methods.has('F')).toBe(true);
  });

  it('accepts a comment as the line break after the interface name', () => {
    expect(parseInterface('interface a.b # the name\nmethod F() -> ()').name).toBe('a.b');
  });

  it('parses its own org.varlink.service IDL with ExpectedUpgrade', () => {
    const iface = parseInterface(ORG_VARLINK_SERVICE_IDL);
    expect(iface.name).toBe('org.varlink.service');
    expect([...iface.methods.keys()]).toEqual(['GetInfo', 'GetInterfaceDescription']);
    expect([...iface.errors.keys()]).toEqual([
      'InterfaceNotFound', 'MethodNotFound', 'MethodNotImplemented', 'InvalidParameter',
      'PermissionDenied', 'ExpectedMore', 'ExpectedUpgrade',
    ]);
    expect(iface.methods.get('GetInfo')?.output.fields.map((f) => f.name)).toEqual([
      'vendor', 'product', 'version', 'url', 'interfaces',
    ]);
  });

  it.each([
    ['interface com.example.0example'],
    ['interface com.example.example-dash'],
    ['interface xn--lgbbat1ad8j.example.algeria'],
    ['interface io.systemd.Manager'],
    ['interface a--b.c'],
  ])('accepts the interface name in %j', (head) => {
    expect(() => parseInterface(`${head}\nmethod F() -> ()\n`)).not.toThrow();
  });

  it.each([
    ['interface com.example-.dangling', 1, 11],
    ['interface 1om.example', 1, 11],
    ['interface com..example', 1, 11],
    ['interface com.example.', 1, 11],
  ])('rejects the interface name in %j', (head, line, column) => {
    const e = parseError(`${head}\nmethod F() -> ()\n`);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.detail).toMatch(/^invalid interface name/);
  });

  it.each([
    ['type I (b: bool[ ])', 2, 16, "expected ',' or ')' after field"],
    ['type I (b: ? int)', 0, 0, undefined],
    ['type I (b: ?[]?int, c: [string]?[]?int)', 0, 0, undefined],
    ['method F(a: int) -> (a: int)', 0, 0, undefined],
    ['method F(\n  a: int,\n  b: int,\n) -> ()', 5, 1, 'no trailing comma'],
    ['method F() -> ()\nmethod F() -> ()', 3, 8, "duplicate member name 'F'"],
    ['method F(a: int, b: (c: int, c: int)) -> ()', 2, 30, "duplicate field 'c'"],
    ['type T (a: Foo.Bar)', 2, 15, "expected ',' or ')'"],
    ['type T (a: int) type U ()', 2, 17, 'expected line break after member'],
    ['method F() -> () -> ()', 2, 18, 'expected line break after member'],
    ['method F -> ()', 2, 10, "expected '(' to start the method parameters"],
    ['method F() -> int', 2, 15, "expected '(' to start the method reply parameters"],
    ['error E', 3, 1, "expected '(' to start the error parameters"],
    ['error e ()', 2, 7, "invalid error name 'e'"],
    ['method getInfo() -> ()', 2, 8, "invalid method name 'getInfo'"],
    ['type T (a: ?)', 2, 13, 'expected a type'],
    ['type T (a: [string])', 2, 20, 'expected a type'],
    ['type T (a: []?)', 2, 15, 'expected a type'],
    ['type T (a: string[])', 2, 18, "expected ',' or ')' after field"],
    ['type T (a: integer)', 2, 12, 'expected a type'],
    ['type T (,)', 2, 9, 'expected field name'],
  ])('%j → line %d column %d', (member, line, column, message) => {
    const text = `interface a.b\n${member}\n`;
    if (line === 0) {
      expect(() => parseInterface(text)).not.toThrow();
      return;
    }
    const e = parseError(text);
    expect([e.line, e.column]).toEqual([line, column]);
    if (message) expect(e.message).toContain(message);
  });

  it('rejects text that does not start with interface, even after comments', () => {
    const e = parseError('# doc\n\nmethod F() -> ()\n');
    expect([e.line, e.column, e.detail]).toEqual([3, 1, "expected 'interface', found 'method'"]);
  });

  it('rejects empty text', () => {
    expect(parseError('').detail).toBe("expected 'interface', found end of input");
  });
});
