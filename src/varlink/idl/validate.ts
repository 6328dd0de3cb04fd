import type { VarlinkInterface, VarlinkStructType, VarlinkType } from './idl-types.js';
import { isVarlinkFieldName } from './varlink-names.js';

/** Options for checking a value against an IDL type. */
export interface ValidateOptions {
  /**
   * Fields a struct does not declare: `'reject'` (the default; what a service does with call
   * parameters) or `'ignore'` (what a client should do with replies, so services can grow).
   */
  readonly unknownFields?: 'reject' | 'ignore';
  /**
   * Replace, in place, every decimal string accepted for an `int` (at any depth: struct fields, array
   * elements, map values, nullable) by a number, or a bigint when beyond ±(2^53−1), so code reading the
   * value sees numbers for `int` however the peer wrote them. Only done when the whole value conforms.
   * Default `false` (the value is not touched).
   */
  readonly convertIntStrings?: boolean;
}

/** One step of a path into a value: a field or map key, or an array index. */
export type VarlinkValuePathSegment = string | number;

/**
 * A value that does not match its IDL type. `parameter` is the top-level field to report in
 * `org.varlink.service.InvalidParameter`; `field` is the full path, e.g. `config.paths[2]`.
 */
export class VarlinkValidationError extends Error {
  override readonly name = 'VarlinkValidationError';
  readonly code = 'ERR_VARLINK_INVALID_VALUE';
  /** The path from the checked value to the offending one; empty when the value itself is wrong. */
  readonly path: readonly VarlinkValuePathSegment[];
  /** `path` as text: names joined by `.`, indices as `[n]`, keys that are not field names as `["key"]`. */
  readonly field: string;
  /** The first field of `path` (the parameter name), or `''` when the value itself is wrong. */
  readonly parameter: string;
  /** What is wrong, without the path. */
  readonly reason: string;

  constructor(path: readonly VarlinkValuePathSegment[], reason: string) {
    const field = formatPath(path);
    super(field === '' ? reason : `invalid parameter '${field}': ${reason}`);
    this.path = path;
    this.field = field;
    this.parameter = path.length > 0 ? String(path[0]) : '';
    this.reason = reason;
  }
}

/**
 * Checks `value` against `type`, resolving named types in `iface`.
 * @returns the first mismatch, or `undefined` when the value conforms.
 */
export function checkValue(
  iface: VarlinkInterface,
  type: VarlinkType,
  value: unknown,
  options: ValidateOptions = {},
): VarlinkValidationError | undefined {
  const checker = new Checker(iface, options.unknownFields ?? 'reject');
  let problem: Problem | undefined;
  try {
    problem = checker.check(type, value);
  } catch (err) {
    // A value nested deeper than the stack (only built locally: received JSON is depth-limited).
    if (!(err instanceof RangeError)) throw err;
    problem = { path: [], reason: 'is nested too deeply to check' };
  }
  if (problem) return new VarlinkValidationError(problem.path, problem.reason);
  if (options.convertIntStrings === true) for (const site of checker.intStrings) site.convert();
  return undefined;
}

/**
 * Checks message parameters (of a call, a reply or an error) against a struct. An absent or `null`
 * `parameters` member means `{}`, as the protocol requires.
 * @returns the first mismatch, or `undefined` when the parameters conform.
 */
export function checkParameters(
  iface: VarlinkInterface,
  struct: VarlinkStructType,
  parameters: unknown,
  options: ValidateOptions = {},
): VarlinkValidationError | undefined {
  return checkValue(iface, struct, parameters ?? {}, options);
}

/**
 * Like {@link checkParameters}, but throws.
 * @throws {VarlinkValidationError} naming the offending field.
 */
export function validateParameters(
  iface: VarlinkInterface,
  struct: VarlinkStructType,
  parameters: unknown,
  options: ValidateOptions = {},
): void {
  const error = checkParameters(iface, struct, parameters, options);
  if (error) throw error;
}

/** The smallest `int` accepted: the combined signed and unsigned 64-bit range (UAPI.20) starts at int64's minimum. */
export const VARLINK_INT_MIN = -(2n ** 63n);
/** The largest `int` accepted: the combined signed and unsigned 64-bit range (UAPI.20) ends at uint64's maximum. */
export const VARLINK_INT_MAX = 2n ** 64n - 1n;

const DECIMAL_INTEGER = /^-?(?:0|[1-9]\d*)$/;

interface Problem {
  readonly path: VarlinkValuePathSegment[];
  readonly reason: string;
}

/** Field names per struct node, so unknown-field checks stay linear in big structs. */
const fieldNameSets = new WeakMap<VarlinkStructType, ReadonlySet<string>>();

function fieldNames(struct: VarlinkStructType): ReadonlySet<string> {
  let names = fieldNameSets.get(struct);
  if (!names) {
    names = new Set(struct.fields.map((f) => f.name));
    fieldNameSets.set(struct, names);
  }
  return names;
}

/** Where a decimal string stands for an `int`: converted only after the whole value was checked. */
interface IntStringSite {
  convert(): void;
}

class Checker {
  // One shared path, pushed and popped on the way down; copied only when a problem is found.
  private readonly path: VarlinkValuePathSegment[] = [];
  /** Decimal strings found where the type is `int`, with the container that holds each. */
  readonly intStrings: IntStringSite[] = [];

  constructor(
    private readonly iface: VarlinkInterface,
    private readonly unknownFields: 'reject' | 'ignore',
  ) {}

  check(type: VarlinkType, value: unknown): Problem | undefined {
    const path = this.path;
    if (type.kind === 'nullable') {
      return value === null || value === undefined ? undefined : this.check(type.type, value);
    }
    if (value === null || value === undefined) {
      return { path: [...path], reason: value === null ? 'must not be null' : 'is missing' };
    }
    switch (type.kind) {
      case 'bool':
        return typeof value === 'boolean' ? undefined : mismatch(path, 'bool', value);
      case 'int':
        return checkInt(value, path);
      case 'float':
        if (typeof value === 'bigint') return undefined; // a big integer literal is a valid JSON number
        if (typeof value !== 'number') return mismatch(path, 'float', value);
        return Number.isFinite(value) ? undefined : { path: [...path], reason: `${value} is not a valid float` };
      case 'string':
        return typeof value === 'string' ? undefined : mismatch(path, 'string', value);
      case 'object':
        return isPlainObject(value) ? undefined : mismatch(path, 'object', value);
      case 'any':
        return undefined; // null was handled above
      case 'enum': {
        if (typeof value !== 'string') return mismatch(path, 'enum value (string)', value);
        if (type.values.some((v) => v.name === value)) return undefined;
        return { path: [...path], reason: `'${value}' is not one of ${type.values.map((v) => v.name).join(', ')}` };
      }
      case 'named': {
        const alias = this.iface.types.get(type.name);
        if (!alias) return { path: [...path], reason: `type '${type.name}' is not defined in ${this.iface.name}` };
        return this.check(alias.type, value);
      }
      case 'array': {
        if (!Array.isArray(value)) return mismatch(path, 'array', value);
        for (let i = 0; i < value.length; i++) {
          const problem = this.checkChild(i, type.element, value[i], value);
          if (problem) return problem;
        }
        return undefined;
      }
      case 'map':
      case 'set': {
        if (!isPlainObject(value)) return mismatch(path, type.kind === 'set' ? 'set (object)' : 'map (object)', value);
        const element: VarlinkType = type.kind === 'map' ? type.value : EMPTY_STRUCT;
        for (const [key, item] of Object.entries(value)) {
          const problem = this.checkChild(key, element, item, value);
          if (problem) return problem;
        }
        return undefined;
      }
      case 'struct':
        return this.checkStruct(type, value);
    }
  }

  /** Checks `container[segment]`, remembering it when it is a decimal string standing for an `int`. */
  private checkChild(
    segment: VarlinkValuePathSegment,
    type: VarlinkType,
    value: unknown,
    container: Record<string, unknown> | unknown[],
  ): Problem | undefined {
    this.path.push(segment);
    const problem = this.check(type, value);
    this.path.pop();
    if (problem === undefined && typeof value === 'string' && this.isInt(type)) {
      this.intStrings.push({
        convert: () => {
          const n = intFromDecimal(value);
          // defineProperty: a map key may be "__proto__", which plain assignment would treat as the prototype.
          if (Array.isArray(container)) container[segment as number] = n;
          else Object.defineProperty(container, segment, { value: n, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    return problem;
  }

  private isInt(type: VarlinkType): boolean {
    return type.kind === 'int' || (type.kind === 'nullable' && type.type.kind === 'int');
  }

  private checkStruct(type: VarlinkStructType, value: unknown): Problem | undefined {
    if (!isPlainObject(value)) return mismatch(this.path, 'struct (object)', value);
    for (const field of type.fields) {
      const item = Object.hasOwn(value, field.name) ? value[field.name] : undefined;
      const problem = this.checkChild(field.name, field.type, item, value);
      if (problem) return problem;
    }
    if (this.unknownFields === 'reject') {
      const declared = fieldNames(type);
      for (const [key, item] of Object.entries(value)) {
        // An own property set to undefined is how JavaScript code writes "absent".
        if (item !== undefined && !declared.has(key)) {
          return { path: [...this.path, key], reason: 'is not a declared field' };
        }
      }
    }
    return undefined;
  }
}

const EMPTY_STRUCT: VarlinkStructType = { kind: 'struct', fields: [] };

function checkInt(value: unknown, path: readonly VarlinkValuePathSegment[]): Problem | undefined {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return mismatch(path, 'int', value);
    // Beyond 2^53 a number may already be rounded: only bigint (or a string) carries it exactly.
    if (!Number.isSafeInteger(value)) return { path: [...path], reason: `${value} is outside the safe integer range: pass it as bigint` };
    return undefined;
  } else if (typeof value === 'bigint') {
    big = value;
  } else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    // Longer than any value of the range (uint64's maximum has 20 digits, int64's minimum 19 and a
    // sign; no leading zeros here): out of range without converting what may be megabytes of digits.
    if (value.length > 20) return outOfRange(path, value);
    big = BigInt(value);
  } else {
    return mismatch(path, 'int', value);
  }
  if (big < VARLINK_INT_MIN || big > VARLINK_INT_MAX) return outOfRange(path, String(big));
  return undefined;
}

function outOfRange(path: readonly VarlinkValuePathSegment[], digits: string): Problem {
  const shown = digits.length > 40 ? `${digits.slice(0, 20)}…(${digits.length} digits)` : digits;
  return { path: [...path], reason: `${shown} is outside the 64-bit integer range` };
}

/** A checked decimal `int` string as a number when exact, else a bigint ("-0" becomes 0). */
function intFromDecimal(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
  return BigInt(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mismatch(path: readonly VarlinkValuePathSegment[], expected: string, value: unknown): Problem {
  return { path: [...path], reason: `expected ${expected}, got ${describe(value)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : `number ${value}`;
  if (typeof value === 'string') return 'string';
  return typeof value;
}

function formatPath(path: readonly VarlinkValuePathSegment[]): string {
  let out = '';
  for (const [i, seg] of path.entries()) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (i === 0) out += seg;
    else if (isVarlinkFieldName(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
