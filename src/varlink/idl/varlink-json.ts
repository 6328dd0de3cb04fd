/**
 * Lossless JSON for Varlink messages: Varlink `int` is 64-bit, JavaScript numbers are exact only up
 * to 2^53, so integers outside that range travel as `bigint`.
 */

/** A JSON value as Varlink carries it; integers beyond ±(2^53−1) are `bigint`. */
export type VarlinkJsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly VarlinkJsonValue[]
  | { readonly [key: string]: VarlinkJsonValue };

/** Malformed JSON text, or a value that has no JSON form (NaN, Infinity, cycles, functions). */
export class VarlinkJsonError extends Error {
  override readonly name = 'VarlinkJsonError';
  readonly code = 'ERR_VARLINK_JSON';
}

// A run of 16 or more digits is the only way to write an integer beyond 2^53 without an exponent.
const MAY_HOLD_BIG_INT = /\d{16}/;

/**
 * The deepest nesting of arrays and objects (the message envelope included) that Varlink JSON is
 * parsed from or written to, in both directions. Without one limit the two directions disagreed:
 * `JSON.parse` read 200,000 levels that `JSON.stringify` could not write back (a stack overflow at
 * about 4,000 with a replacer), so a service echoing a value it had accepted could not reply. 2,048
 * leaves every recursive walk here (validator, lossless parser, fallback writer) far from the stack
 * limit, and is far deeper than any real interface nests.
 */
export const VARLINK_JSON_MAX_DEPTH = 2048;

/**
 * Integer literals longer than this are read as a double, like `JSON.parse` does, not as a `bigint`:
 * converting costs more than linear time (a 15 MB literal held the event loop for seconds), and no
 * Varlink type holds such an integer exactly anyway (`int` is 64-bit, 20 characters at most).
 */
const MAX_EXACT_INTEGER_LITERAL = 1000;

/**
 * Parses JSON text like `JSON.parse`, except that integer literals (no fraction, no exponent) outside
 * the safe range become `bigint` (up to 1,000 characters; longer ones a double, as `JSON.parse` reads
 * them). Text without a run of 16 digits takes the native fast path.
 *
 * @throws {VarlinkJsonError} on malformed text, or nesting deeper than {@link VARLINK_JSON_MAX_DEPTH}.
 */
export function parseVarlinkJson(text: string): VarlinkJsonValue {
  // Checked before parsing, so a too-deep message is refused before anything is built from it. Text
  // shorter than twice the limit cannot nest that deep (every level takes an opening and a closing byte).
  if (text.length > 2 * VARLINK_JSON_MAX_DEPTH && nestsDeeperThan(text, VARLINK_JSON_MAX_DEPTH)) throw tooDeep();
  if (!MAY_HOLD_BIG_INT.test(text)) {
    try {
      return JSON.parse(text) as VarlinkJsonValue;
    } catch (e) {
      throw new VarlinkJsonError((e as Error).message);
    }
  }
  return new LosslessJsonParser(text).parseDocument();
}

/**
 * Writes a value as compact JSON like `JSON.stringify`, except that `bigint` is written as a plain
 * integer. Non-finite numbers are refused rather than written as `null`: Varlink forbids them.
 *
 * @throws {VarlinkJsonError} for NaN/Infinity, cycles, nesting deeper than {@link VARLINK_JSON_MAX_DEPTH},
 *   or a top-level value with no JSON form.
 */
export function stringifyVarlinkJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, rejectNonFinite);
    if (text === undefined) throw new VarlinkJsonError(`${typeof value} has no JSON form`);
    // The native writer has no depth limit of its own below its stack: hold it to the parser's.
    if (text.length > 2 * VARLINK_JSON_MAX_DEPTH && nestsDeeperThan(text, VARLINK_JSON_MAX_DEPTH)) throw tooDeep();
    return text;
  } catch (e) {
    if (e instanceof VarlinkJsonError) throw e;
    // JSON.stringify throws a TypeError on bigint (and on cycles) and a RangeError when it runs out of
    // stack; the slow path handles bigint and reports cycles and depth as VarlinkJsonError.
    if (!(e instanceof TypeError) && !(e instanceof RangeError)) throw e;
  }
  const out: string[] = [];
  writeValue(out, value, new Set(), '', 0);
  const text = out.join('');
  if (text === '') throw new VarlinkJsonError(`${typeof value} has no JSON form`);
  return text;
}

function rejectNonFinite(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new VarlinkJsonError(`${v} is not valid in Varlink JSON`);
  return v;
}

/** Appends the JSON of `value` to `out`; appends nothing for values JSON omits (undefined, functions). */
function writeValue(out: string[], input: unknown, stack: Set<object>, key: string, depth: number): void {
  let value = input;
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  switch (typeof value) {
    case 'bigint':
      out.push(value.toString());
      return;
    case 'number':
      rejectNonFinite(key, value);
      out.push(JSON.stringify(value));
      return;
    case 'string':
    case 'boolean':
      out.push(JSON.stringify(value));
      return;
    case 'undefined':
    case 'function':
    case 'symbol':
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const obj = value as object;
  if (stack.has(obj)) throw new VarlinkJsonError('cannot serialize a cyclic structure');
  if (depth >= VARLINK_JSON_MAX_DEPTH) throw tooDeep();
  stack.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    // A plain loop, not forEach: one stack frame per level instead of three.
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out.push(',');
      const before = out.length;
      writeValue(out, obj[i] as unknown, stack, String(i), depth + 1);
      if (out.length === before) out.push('null');
    }
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const [k, v] of Object.entries(obj)) {
      const mark = out.length;
      out.push(first ? '' : ',', JSON.stringify(k), ':');
      const before = out.length;
      writeValue(out, v, stack, k, depth + 1);
      if (out.length === before) {
        out.length = mark; // the member has no JSON form: drop it, as JSON.stringify does
      } else {
        first = false;
      }
    }
    out.push('}');
  }
  stack.delete(obj);
}

function tooDeep(): VarlinkJsonError {
  return new VarlinkJsonError(`JSON nested deeper than ${VARLINK_JSON_MAX_DEPTH} levels`);
}

/**
 * Whether JSON text opens more than `max` arrays or objects at once. Only counts brackets outside
 * strings; malformed text is left to the parser (at worst this answers for a prefix of it).
 */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: one that is preceded by an even number of backslashes.
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return false;
        let backslashes = 0;
        while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
        i = q;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const JSON_WHITESPACE = /[ \t\n\r]*/y;

/** A small recursive-descent JSON parser, used only when the text may hold big integers. */
class LosslessJsonParser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseDocument(): VarlinkJsonValue {
    let value: VarlinkJsonValue;
    try {
      value = this.parseValue();
    } catch (e) {
      // Depth is limited before the stack is; this stays for a caller already deep in its own stack.
      if (e instanceof RangeError) throw tooDeep();
      throw e;
    }
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw this.fail('unexpected data after JSON value');
    return value;
  }

  private parseValue(): VarlinkJsonValue {
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.parseNumber();
    }
  }

  private parseObject(): VarlinkJsonValue {
    this.enter();
    this.pos++; // {
    const obj: Record<string, VarlinkJsonValue> = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return obj;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') throw this.fail('expected a string key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') throw this.fail("expected ':'");
      this.pos++;
      const value = this.parseValue();
      // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
      Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === '}') {
        this.depth--;
        return obj;
      }
      if (c !== ',') throw this.fail("expected ',' or '}'", -1);
    }
  }

  private parseArray(): VarlinkJsonValue {
    this.enter();
    this.pos++; // [
    const arr: VarlinkJsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue());
      this.skipWhitespace();
      const c = this.text[this.pos++];
      if (c === ']') {
        this.depth--;
        return arr;
      }
      if (c !== ',') throw this.fail("expected ',' or ']'", -1);
    }
  }

  private enter(): void {
    if (++this.depth > VARLINK_JSON_MAX_DEPTH) throw tooDeep();
  }

  private parseString(): string {
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const quote = this.text.indexOf('"', i);
      if (quote < 0) throw this.fail('unterminated string');
      let backslashes = 0;
      while (this.text[quote - 1 - backslashes] === '\\') backslashes++;
      i = quote + 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = i;
    try {
      // Escapes and control characters are validated by the native parser on the slice.
      return JSON.parse(this.text.slice(start, i)) as string;
    } catch {
      this.pos = start;
      throw this.fail('invalid string');
    }
  }

  private parseNumber(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) throw this.fail('unexpected character');
    this.pos = NUMBER.lastIndex;
    const literal = m[0];
    const n = Number(literal);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n) && literal.length <= MAX_EXACT_INTEGER_LITERAL) {
      return BigInt(literal);
    }
    return n;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw this.fail('unexpected character');
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    JSON_WHITESPACE.lastIndex = this.pos;
    JSON_WHITESPACE.exec(this.text);
    this.pos = JSON_WHITESPACE.lastIndex;
  }

  private fail(what: string, back = 0): VarlinkJsonError {
    return new VarlinkJsonError(`${what} at position ${this.pos + back} of JSON text`);
  }
}
