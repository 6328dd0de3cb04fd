import { stringifyVarlinkJson } from '../../varlink/idl/varlink-json.js';

/** How JSON goes to stdout: one line, indented, or RFC 7464 JSON text sequences (RS … LF). */
export type JsonMode = 'short' | 'pretty' | 'seq';

const RECORD_SEPARATOR = '\x1e';

/** Parses a `--json` value. */
export function isJsonMode(value: string): value is JsonMode {
  return value === 'short' || value === 'pretty' || value === 'seq';
}

// JSON.stringify cannot indent bigint (Varlink ints beyond 2^53), so indenting is done here.
function indent(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v: unknown) => pad + indent(v, depth + 1)).join(',\n')}\n${close}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${indent(v, depth + 1)}`).join(',\n')}\n${close}}`;
  }
  return stringifyVarlinkJson(value);
}

/** One JSON value as written to stdout, newline included. */
export function formatJsonOutput(value: unknown, mode: JsonMode): string {
  switch (mode) {
    case 'short':
      return `${stringifyVarlinkJson(value)}\n`;
    case 'pretty':
      return `${indent(value, 0)}\n`;
    case 'seq':
      return `${RECORD_SEPARATOR}${stringifyVarlinkJson(value)}\n`;
  }
}
