import type {
  VarlinkEnumType,
  VarlinkInterface,
  VarlinkMember,
  VarlinkMethod,
  VarlinkStructType,
  VarlinkType,
} from './idl-types.js';
import { FLAG_MARKERS } from './parse-interface.js';

/** A struct or enum that would make its line longer than this gets one entry per line. */
const MAX_LINE = 80;
const INDENT = '  ';

/**
 * Writes an interface as canonical IDL text: doc comments before their declarations, systemd's
 * flag markers after a method's doc, one blank line between members, and a struct or enum on one
 * line unless one of its entries has a doc comment or the line would exceed 80 columns, in which
 * case each entry gets its own line, indented by two spaces.
 *
 * `formatInterface(parseInterface(formatInterface(x))) === formatInterface(x)` holds.
 */
export function formatInterface(iface: VarlinkInterface): string {
  const out: string[] = [];
  pushDoc(out, iface.doc, '');
  out.push(`interface ${iface.name}`);
  for (const member of iface.members) {
    out.push('');
    pushMember(out, member);
  }
  return `${out.join('\n')}\n`;
}

/** Formats one type expression the way it appears inside a declaration (single-line when it can). */
export function formatType(type: VarlinkType): string {
  return renderType(type, '', 0);
}

function pushMember(out: string[], member: VarlinkMember): void {
  pushDoc(out, member.doc, '');
  switch (member.kind) {
    case 'type': {
      const head = `type ${member.name} `;
      out.push(head + renderType(member.type, '', head.length));
      return;
    }
    case 'error': {
      const head = `error ${member.name} `;
      out.push(head + renderType(member.parameters, '', head.length));
      return;
    }
    case 'method':
      pushMethodMarkers(out, member);
      out.push(renderMethod(member));
      return;
  }
}

function pushMethodMarkers(out: string[], method: VarlinkMethod): void {
  for (const [marker, { flag, use }] of FLAG_MARKERS) if (method[flag] === use) out.push(`# ${marker}`);
}

function renderMethod(method: VarlinkMethod): string {
  const head = `method ${method.name}`;
  // Reserve room for ` -> ()`, the least that follows the input on its line.
  const input = renderType(method.input, '', head.length, 6);
  const afterInput = `${head}${input} -> `;
  const lastLine = afterInput.slice(afterInput.lastIndexOf('\n') + 1);
  return afterInput + renderType(method.output, '', lastLine.length);
}

function pushDoc(out: string[], doc: string | undefined, indent: string): void {
  if (doc === undefined) return;
  for (const line of doc.split('\n')) {
    const text = line.trimEnd();
    out.push(text === '' ? `${indent}#` : `${indent}# ${text}`);
  }
}

/**
 * Renders `type` starting at `column` of a line whose continuation lines are indented by `indent`;
 * `reserve` columns after it are taken by what follows on the line (`,` or ` -> ()`).
 */
function renderType(type: VarlinkType, indent: string, column: number, reserve = 0): string {
  switch (type.kind) {
    case 'bool':
    case 'int':
    case 'float':
    case 'string':
    case 'object':
    case 'any':
      return type.kind;
    case 'named':
      return type.name;
    case 'set':
      return '[string]()';
    case 'array':
      return `[]${renderType(type.element, indent, column + 2, reserve)}`;
    case 'map':
      return `[string]${renderType(type.value, indent, column + 8, reserve)}`;
    case 'nullable':
      return `?${renderType(type.type, indent, column + 1, reserve)}`;
    case 'struct':
    case 'enum':
      return renderParenthesized(type, indent, column, reserve);
  }
}

function renderParenthesized(
  type: VarlinkStructType | VarlinkEnumType,
  indent: string,
  column: number,
  reserve: number,
): string {
  const oneLine = singleLine(type);
  if (oneLine !== undefined && column + oneLine.length + reserve <= MAX_LINE) return oneLine;

  const inner = indent + INDENT;
  const lines: string[] = ['('];
  const entries: readonly { readonly name: string; readonly doc?: string; readonly type?: VarlinkType }[] =
    type.kind === 'struct' ? type.fields : type.values;
  entries.forEach((entry, i) => {
    pushDoc(lines, entry.doc, inner);
    const comma = i < entries.length - 1 ? ',' : '';
    if (entry.type !== undefined) {
      const head = `${inner}${entry.name}: `;
      lines.push(`${head}${renderType(entry.type, inner, head.length, comma.length)}${comma}`);
    } else {
      lines.push(`${inner}${entry.name}${comma}`);
    }
  });
  lines.push(`${indent})`);
  return lines.join('\n');
}

/** The one-line form, or `undefined` when a doc comment anywhere inside forces line breaks. */
function singleLine(type: VarlinkType): string | undefined {
  switch (type.kind) {
    case 'struct': {
      const parts: string[] = [];
      for (const field of type.fields) {
        if (field.doc !== undefined) return undefined;
        const inner = singleLine(field.type);
        if (inner === undefined) return undefined;
        parts.push(`${field.name}: ${inner}`);
      }
      return `(${parts.join(', ')})`;
    }
    case 'enum': {
      if (type.values.some((v) => v.doc !== undefined)) return undefined;
      return `(${type.values.map((v) => v.name).join(', ')})`;
    }
    case 'array': {
      const inner = singleLine(type.element);
      return inner === undefined ? undefined : `[]${inner}`;
    }
    case 'map': {
      const inner = singleLine(type.value);
      return inner === undefined ? undefined : `[string]${inner}`;
    }
    case 'nullable': {
      const inner = singleLine(type.type);
      return inner === undefined ? undefined : `?${inner}`;
    }
    default:
      return renderType(type, '', 0);
  }
}
