import type {
  VarlinkEnumType,
  VarlinkEnumValue,
  VarlinkErrorType,
  VarlinkField,
  VarlinkFlagUse,
  VarlinkInterface,
  VarlinkMember,
  VarlinkMethod,
  VarlinkStructType,
  VarlinkType,
  VarlinkTypeAlias,
} from './idl-types.js';
import { IdlScanner, quoteExcerpt, type SourcePosition, type Trivia } from './idl-scanner.js';
import { isVarlinkFieldName, isVarlinkInterfaceName, isVarlinkMemberName } from './varlink-names.js';

/**
 * The deepest nesting of type expressions (`[]`, `?`, `[string]`, anonymous structs and enums) an IDL
 * may use. The parser, the formatter and the validator all recurse per level, and IDL can come from a
 * remote service (`GetInterfaceDescription`), so thousands of `[]` must be an IDL error, not a stack
 * overflow. Real interfaces nest a handful of levels.
 */
export const VARLINK_IDL_MAX_NESTING = 256;

const PRIMITIVES = new Set(['bool', 'int', 'float', 'string', 'object', 'any']);

/**
 * systemd's de-facto markers, one per comment line (sd-varlink-idl writes them just before `method`),
 * in the order the formatter writes them.
 */
export const FLAG_MARKERS: ReadonlyMap<string, { flag: 'more' | 'upgrade'; use: VarlinkFlagUse }> = new Map([
  ["[Requires 'more' flag]", { flag: 'more', use: 'required' }],
  ["[Supports 'more' flag]", { flag: 'more', use: 'supported' }],
  ["[Requires 'upgrade' flag]", { flag: 'upgrade', use: 'required' }],
  ["[Supports 'upgrade' flag]", { flag: 'upgrade', use: 'supported' }],
]);

/**
 * Parses Varlink interface definition text.
 *
 * Follows the UAPI.20 grammar: `interface` first, one or more `type`/`method`/`error` members each
 * on its own line, no trailing commas, `?` only before an element type, `[]` or `[string]`.
 * Member names must be unique and every named type must be declared in the interface.
 *
 * @throws {VarlinkIdlError} naming the line, the column and what was expected.
 */
export function parseInterface(text: string): VarlinkInterface {
  return new InterfaceParser(text).parse();
}

interface NamedTypeUse {
  readonly name: string;
  readonly at: SourcePosition;
}

class InterfaceParser {
  private readonly scanner: IdlScanner;
  private readonly typeUses: NamedTypeUse[] = [];
  /** Type expressions currently open (see {@link VARLINK_IDL_MAX_NESTING}). */
  private nesting = 0;

  constructor(text: string) {
    this.scanner = new IdlScanner(text);
  }

  parse(): VarlinkInterface {
    const s = this.scanner;
    const lead = s.skipTrivia();
    const keyword = s.readWord();
    if (keyword !== 'interface') {
      s.unread(keyword);
      throw s.errorHere("expected 'interface'");
    }
    this.skipGapAfterKeyword(keyword);
    const nameAt = s.position();
    const name = s.readInterfaceNameCandidate();
    if (!isVarlinkInterfaceName(name)) {
      if (name === '') throw s.errorHere('expected interface name');
      throw s.errorAt(nameAt, `invalid interface name '${quoteExcerpt(name)}'`);
    }

    const members: VarlinkMember[] = [];
    const firstSeen = new Map<string, SourcePosition>();
    let trivia = s.skipTrivia();
    if (!trivia.newline) throw s.errorHere('expected line break after interface name');
    do {
      const { member, at } = this.parseMember(trivia);
      const previous = firstSeen.get(member.name);
      if (previous) {
        throw s.errorAt(
          at,
          `duplicate member name '${quoteExcerpt(member.name)}' (first declared at line ${previous.line}, column ${previous.column})`,
        );
      }
      firstSeen.set(member.name, at);
      members.push(member);
      trivia = s.skipTrivia();
      if (!s.atEnd && !trivia.newline) throw s.errorHere('expected line break after member');
    } while (!s.atEnd);

    const types = new Map<string, VarlinkTypeAlias>();
    const methods = new Map<string, VarlinkMethod>();
    const errors = new Map<string, VarlinkErrorType>();
    for (const m of members) {
      if (m.kind === 'type') types.set(m.name, m);
      else if (m.kind === 'method') methods.set(m.name, m);
      else errors.set(m.name, m);
    }
    for (const use of this.typeUses) {
      if (!types.has(use.name)) {
        const what = methods.has(use.name) || errors.has(use.name) ? 'is not a type' : 'is not defined';
        throw s.errorAt(use.at, `type '${quoteExcerpt(use.name)}' ${what}`);
      }
    }
    return withDoc({ name, members, types, methods, errors }, lead.docs);
  }

  /** The grammar wants at least one blank (or comment) after a keyword: `type(` is an error. */
  private skipGapAfterKeyword(keyword: string): void {
    const s = this.scanner;
    const before = s.offset;
    s.skipTrivia();
    if (s.offset === before) throw s.errorHere(`expected whitespace after '${keyword}'`);
  }

  /** One member; `at` is the position of its name, for duplicate-name errors. */
  private parseMember(trivia: Trivia): { member: VarlinkMember; at: SourcePosition } {
    const head = this.parseMemberHead();
    return { member: this.parseMemberBody(trivia, head.keyword, head.name), at: head.nameAt };
  }

  private parseMemberHead(): { keyword: 'type' | 'method' | 'error'; name: string; nameAt: SourcePosition } {
    const s = this.scanner;
    const keyword = s.readWord();
    if (keyword !== 'type' && keyword !== 'method' && keyword !== 'error') {
      s.unread(keyword);
      throw s.errorHere("expected 'type', 'method' or 'error'");
    }
    this.skipGapAfterKeyword(keyword);
    const nameAt = s.position();
    const name = this.readMemberName(`${keyword} name`);
    return { keyword, name, nameAt };
  }

  private parseMemberBody(trivia: Trivia, keyword: 'type' | 'method' | 'error', name: string): VarlinkMember {
    const s = this.scanner;
    s.skipTrivia();
    switch (keyword) {
      case 'type': {
        if (s.peek() !== '(') throw s.errorHere("expected '(' to start a struct or enum");
        const type = this.parseStructOrEnum();
        return withDoc({ kind: 'type', name, type }, trivia.docs);
      }
      case 'method': {
        if (s.peek() !== '(') throw s.errorHere("expected '(' to start the method parameters");
        const input = this.parseStruct();
        s.skipTrivia();
        s.expect('->', "'->'");
        s.skipTrivia();
        if (s.peek() !== '(') throw s.errorHere("expected '(' to start the method reply parameters");
        const output = this.parseStruct();
        return methodWithDoc(name, input, output, trivia.docs);
      }
      case 'error': {
        if (s.peek() !== '(') throw s.errorHere("expected '(' to start the error parameters");
        const parameters = this.parseStruct();
        return withDoc({ kind: 'error', name, parameters }, trivia.docs);
      }
    }
  }

  private readMemberName(what: string): string {
    return this.readName(what, isVarlinkMemberName, 'must start with an uppercase letter and contain only letters and digits');
  }

  private readFieldName(what: string): string {
    return this.readName(what, isVarlinkFieldName, "must start with a letter, contain letters and digits, and use '_' only singly between them");
  }

  /** Reads a word that `valid` accepts; `rule` says what it must look like when it does not. */
  private readName(what: string, valid: (name: string) => boolean, rule: string): string {
    const s = this.scanner;
    const at = s.position();
    const name = s.readWord();
    if (name === '') throw s.errorHere(`expected ${what}`);
    if (!valid(name)) throw s.errorAt(at, `invalid ${what} '${quoteExcerpt(name)}': ${rule}`);
    return name;
  }

  /** A struct only: method parameters, error parameters. Cursor is at `(`. */
  private parseStruct(): VarlinkStructType {
    const type = this.parseStructOrEnum('struct');
    // parseStructOrEnum('struct') never returns an enum.
    return type as VarlinkStructType;
  }

  /** `(` … `)`: the first entry decides between struct (`name: T`) and enum (`name`). */
  private parseStructOrEnum(only?: 'struct'): VarlinkStructType | VarlinkEnumType {
    const s = this.scanner;
    s.expect('(');
    let trivia = s.skipTrivia();
    if (s.accept(')')) return { kind: 'struct', fields: [] };

    let mode: 'struct' | 'enum' | undefined = only;
    const fields: VarlinkField[] = [];
    const values: VarlinkEnumValue[] = [];
    const seen = new Map<string, SourcePosition>();
    for (;;) {
      const at = s.position();
      const name = this.readFieldName(mode === 'enum' ? 'enum value name' : 'field name');
      const previous = seen.get(name);
      if (previous) {
        throw s.errorAt(at, `duplicate ${mode === 'enum' ? 'enum value' : 'field'} '${quoteExcerpt(name)}' (first at line ${previous.line}, column ${previous.column})`);
      }
      seen.set(name, at);
      s.skipTrivia();
      if (mode === undefined) mode = s.peek() === ':' ? 'struct' : 'enum';
      if (mode === 'struct') {
        s.expect(':', "':' after field name");
        s.skipTrivia();
        const type = this.parseType();
        fields.push(withDoc({ name, type }, trivia.docs));
        s.skipTrivia();
      } else {
        values.push(withDoc({ name }, trivia.docs));
      }
      if (s.accept(')')) break;
      if (!s.accept(',')) throw s.errorHere(mode === 'struct' ? "expected ',' or ')' after field" : "expected ',' or ')' after enum value");
      trivia = s.skipTrivia();
      if (s.peek() === ')') throw s.errorHere(`expected ${mode === 'struct' ? 'field' : 'enum value'} name (no trailing comma)`);
    }
    return mode === 'struct' ? { kind: 'struct', fields } : { kind: 'enum', values };
  }

  /**
   * Opens one level of type nesting; refuses the level past {@link VARLINK_IDL_MAX_NESTING}. Every
   * recursion (array, map, nullable, a field of an anonymous struct) passes through parseType, so
   * counting there bounds the stack.
   */
  private enter(): void {
    if (++this.nesting > VARLINK_IDL_MAX_NESTING) {
      const s = this.scanner;
      throw s.errorAt(s.position(), `types nested deeper than ${VARLINK_IDL_MAX_NESTING} levels`);
    }
  }

  private parseType(): VarlinkType {
    this.enter();
    const type = this.parseTypeLevel();
    this.nesting--;
    return type;
  }

  private parseTypeLevel(): VarlinkType {
    const s = this.scanner;
    if (s.accept('?')) {
      s.skipTrivia();
      if (s.peek() === '?') throw s.errorHere("expected a type after '?' ('??' is not allowed)");
      const inner = this.parseNonNullableType();
      return { kind: 'nullable', type: inner };
    }
    return this.parseNonNullableType();
  }

  private parseNonNullableType(): Exclude<VarlinkType, { kind: 'nullable' }> {
    const s = this.scanner;
    const c = s.peek();
    if (c === '[') {
      if (s.accept('[]')) {
        s.skipTrivia();
        return { kind: 'array', element: this.parseType() };
      }
      if (s.accept('[string]')) {
        s.skipTrivia();
        const value = this.parseType();
        if (value.kind === 'struct' && value.fields.length === 0) return { kind: 'set' };
        return { kind: 'map', value };
      }
      throw s.errorHere("expected '[]' or '[string]'");
    }
    if (c === '(') return this.parseStructOrEnum();
    const at = s.position();
    const word = s.readWord();
    if (word === '') throw s.errorHere('expected a type');
    if (PRIMITIVES.has(word)) return { kind: word as 'bool' | 'int' | 'float' | 'string' | 'object' | 'any' };
    if (!isVarlinkMemberName(word)) {
      s.unread(word);
      throw s.errorHere('expected a type (bool, int, float, string, object, any, a type name, (…), [] or [string])');
    }
    this.typeUses.push({ name: word, at });
    return { kind: 'named', name: word };
  }
}

/** Adds `doc` only when there are doc lines, so undocumented nodes have no `doc` key at all. */
function withDoc<T extends object>(node: T, docs: readonly string[]): T & { doc?: string } {
  return docs.length > 0 ? { ...node, doc: docs.join('\n') } : node;
}

function methodWithDoc(
  name: string,
  input: VarlinkStructType,
  output: VarlinkStructType,
  docs: readonly string[],
): VarlinkMethod {
  let more: VarlinkFlagUse | undefined;
  let upgrade: VarlinkFlagUse | undefined;
  const kept: string[] = [];
  for (const line of docs) {
    const marker = FLAG_MARKERS.get(line.trim());
    if (!marker) {
      kept.push(line);
    } else if (marker.flag === 'more') {
      // 'required' wins if an IDL carries both markers.
      if (more !== 'required') more = marker.use;
    } else if (upgrade !== 'required') {
      upgrade = marker.use;
    }
  }
  const method: VarlinkMethod = withDoc({ kind: 'method', name, input, output }, kept);
  return {
    ...method,
    ...(more ? { more } : {}),
    ...(upgrade ? { upgrade } : {}),
  };
}
