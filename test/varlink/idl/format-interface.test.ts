import { describe, expect, it } from 'vitest';
import {
  formatInterface,
  formatType,
  ORG_VARLINK_SERVICE_IDL,
  parseInterface,
  type VarlinkInterface,
  type VarlinkMember,
} from '../../../src/varlink/idl/index.js';

function build(name: string, members: VarlinkMember[], doc?: string): VarlinkInterface {
  const pick = <K extends VarlinkMember['kind']>(kind: K) =>
    new Map(members.filter((m): m is Extract<VarlinkMember, { kind: K }> => m.kind === kind).map((m) => [m.name, m]));
  return { name, ...(doc === undefined ? {} : { doc }), members, types: pick('type'), methods: pick('method'), errors: pick('error') };
}

describe('formatInterface', () => {
  it('writes the org.varlink.service IDL exactly as the constant holds it', () => {
    expect(formatInterface(parseInterface(ORG_VARLINK_SERVICE_IDL))).toBe(ORG_VARLINK_SERVICE_IDL);
  });

  it('normalizes spacing, keeps docs, and drops non-doc comments', () => {
    const text = [
      '# SPDX header',
      '',
      '#  Two spaces: one is kept.',
      '#',
      '# After an empty line.',
      'interface   a.b   # trailing',
      '',
      '',
      'type   T(x:int,y :  ?[]string)',
      'method M ( ) -> ( ) # trailing',
      'error   E()',
    ].join('\n');
    expect(formatInterface(parseInterface(text))).toBe(
      [
        '#  Two spaces: one is kept.',
        '#',
        '# After an empty line.',
        'interface a.b',
        '',
        'type T (x: int, y: ?[]string)',
        '',
        'method M() -> ()',
        '',
        'error E ()',
        '',
      ].join('\n'),
    );
  });

  it('breaks a struct over lines when a field has a doc, indenting nested structs', () => {
    const text = 'interface a.b\nmethod M(a: (b: int,\n# doc of c\nc: int), d: int) -> (e: int)\n';
    expect(formatInterface(parseInterface(text))).toBe(
      [
        'interface a.b',
        '',
        'method M(',
        '  a: (',
        '    b: int,',
        '    # doc of c',
        '    c: int',
        '  ),',
        '  d: int',
        ') -> (e: int)',
        '',
      ].join('\n'),
    );
  });

  it('breaks a struct that would exceed 80 columns, and keeps one that fits', () => {
    // 80 columns exactly.
    const fits = 'method M(abcdefghij: string, klmnopqrst: string, uvwxyzabcdefghijklm: int) -> ()';
    expect(fits).toHaveLength(80);
    expect(formatInterface(parseInterface(`interface a.b\n${fits}\n`)).split('\n')[2]).toBe(fits);
    const long = 'method M(abcdefghij: string, klmnopqrst: string, uvwxyzabcdefghijklmn: int) -> ()';
    expect(formatInterface(parseInterface(`interface a.b\n${long}\n`)).split('\n').slice(2, 7)).toEqual([
      'method M(',
      '  abcdefghij: string,',
      '  klmnopqrst: string,',
      '  uvwxyzabcdefghijklmn: int',
      ') -> ()',
    ]);
  });

  it('writes flag markers after the doc and before the method', () => {
    const text = "interface a.b\n# [Requires 'upgrade' flag]\n# Streams.\n# [Supports 'more' flag]\nmethod M() -> ()\n";
    expect(formatInterface(parseInterface(text))).toBe(
      "interface a.b\n\n# Streams.\n# [Supports 'more' flag]\n# [Requires 'upgrade' flag]\nmethod M() -> ()\n",
    );
  });

  it('formats a hand-built AST, and parsing the result gives the AST back', () => {
    const iface = build(
      'org.example.built',
      [
        {
          kind: 'type',
          name: 'Mode',
          doc: 'How to open.',
          type: { kind: 'enum', values: [{ name: 'read' }, { name: 'write', doc: 'Needs permission.' }] },
        },
        {
          kind: 'method',
          name: 'Open',
          more: 'supported',
          input: {
            kind: 'struct',
            fields: [
              { name: 'mode', type: { kind: 'named', name: 'Mode' } },
              { name: 'tags', type: { kind: 'nullable', type: { kind: 'set' } } },
              { name: 'm', type: { kind: 'map', value: { kind: 'array', element: { kind: 'any' } } } },
            ],
          },
          output: { kind: 'struct', fields: [{ name: 'fd', type: { kind: 'int' } }] },
        },
        { kind: 'error', name: 'Busy', parameters: { kind: 'struct', fields: [] } },
      ],
      'Built by hand.',
    );
    const text = formatInterface(iface);
    expect(text).toContain("# [Supports 'more' flag]\nmethod Open(mode: Mode, tags: ?[string](), m: [string][]any) -> (fd: int)\n");
    expect(text).toContain('type Mode (\n  read,\n  # Needs permission.\n  write\n)\n');
    expect(parseInterface(text)).toEqual(iface);
  });
});

describe('formatType', () => {
  it.each([
    ['?[]?[string](foo, bar, baz)'],
    ['[string]()'],
    ['[][]?float'],
    ['(a: int, b: (c: ?object))'],
  ])('writes %s back unchanged', (type) => {
    const iface = parseInterface(`interface a.b\ntype T (x: ${type})\n`);
    const field = iface.types.get('T')?.type;
    expect(field?.kind === 'struct' && field.fields[0] ? formatType(field.fields[0].type) : undefined).toBe(type);
  });
});
