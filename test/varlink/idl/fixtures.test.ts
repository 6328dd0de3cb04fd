import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatInterface, parseInterface, VarlinkIdlError } from '../../../src/varlink/idl/index.js';

const dir = fileURLToPath(new URL('../../fixtures/varlink/', import.meta.url));
const valid = readdirSync(dir).filter((f) => f.endsWith('.varlink')).sort();
const invalid = readdirSync(`${dir}invalid/`).filter((f) => f.endsWith('.varlink')).sort();

describe('valid IDL fixtures', () => {
  it('finds the real-world and hand-written fixtures', () => {
    expect(valid).toContain('org.varlink.certification.varlink');
    expect(valid.length).toBeGreaterThanOrEqual(6);
  });

  it.each(valid)('%s parses, and formatting it is stable', (file) => {
    const text = readFileSync(dir + file, 'utf8');
    const iface = parseInterface(text);
    expect(iface.members.length).toBeGreaterThan(0);
    const once = formatInterface(iface);
    const reparsed = parseInterface(once);
    expect(reparsed).toEqual(iface);
    expect(formatInterface(reparsed)).toBe(once);
  });
});

describe('invalid IDL fixtures', () => {
  it.each(invalid)('%s is rejected at the position its header names', (file) => {
    const text = readFileSync(`${dir}invalid/${file}`, 'utf8');
    const at = /^# error-at: (\d+):(\d+)$/m.exec(text);
    const message = /^# error: (.*)$/m.exec(text);
    expect(at && message).toBeTruthy();
    let caught: unknown;
    try {
      parseInterface(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VarlinkIdlError);
    const error = caught as VarlinkIdlError;
    expect(error.code).toBe('ERR_VARLINK_IDL');
    expect({ line: error.line, column: error.column }).toEqual({ line: Number(at?.[1]), column: Number(at?.[2]) });
    expect(error.message).toContain(message?.[1]);
  });
});
