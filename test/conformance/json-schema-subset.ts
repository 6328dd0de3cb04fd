/**
 * A checker for the part of JSON Schema (2020-12) that spec/vectors/schema.json uses, so the tests
 * can hold the schema and the vector files to each other without a schema library. Keywords it does
 * not know make it throw rather than pass silently.
 */
export type Schema = boolean | { readonly [keyword: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$defs', 'title', 'description', 'type', 'enum', 'const', 'required', 'properties',
  'additionalProperties', 'items', 'minItems', 'minLength', 'pattern', 'minimum', 'oneOf', 'allOf', '$ref',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(v);
  return typeOf(v) === type;
}

/** Errors of `value` against `schema` (empty when valid), each prefixed with its JSON path. */
export function checkSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/([\w-]+)$/.exec(ref);
    const defs = isObject(root) ? root.$defs : undefined;
    const target = m !== null && isObject(defs) ? defs[m[1]!] : undefined;
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return target as Schema;
  };

  const check = (schema: Schema, v: unknown, path: string): boolean => {
    if (schema === true) return true;
    if (schema === false) {
      errors.push(`${path}: not allowed`);
      return false;
    }
    for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`unsupported keyword ${k}`);
    const before = errors.length;
    const fail = (message: string): void => void errors.push(`${path}: ${message}`);

    if (typeof schema.$ref === 'string') check(resolve(schema.$ref), v, path);
    if (typeof schema.type === 'string' && !hasType(v, schema.type)) fail(`must be ${schema.type}`);
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) fail(`must be one of ${JSON.stringify(schema.enum)}`);
    if ('const' in schema && schema.const !== v) fail(`must be ${JSON.stringify(schema.const)}`);
    if (typeof v === 'string') {
      if (typeof schema.minLength === 'number' && [...v].length < schema.minLength) fail('too short');
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) fail(`must match ${schema.pattern}`);
    }
    if (typeof v === 'number' && typeof schema.minimum === 'number' && v < schema.minimum) fail(`must be ≥ ${schema.minimum}`);
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) fail(`needs ≥ ${schema.minItems} items`);
      if (schema.items !== undefined) v.forEach((x, i) => check(schema.items as Schema, x, `${path}[${i}]`));
    }
    if (isObject(v)) {
      const props = isObject(schema.properties) ? schema.properties : {};
      if (Array.isArray(schema.required)) for (const k of schema.required as string[]) if (!(k in v)) fail(`missing "${k}"`);
      for (const [k, x] of Object.entries(v)) {
        if (k in props) check(props[k] as Schema, x, `${path}.${k}`);
        else if (schema.additionalProperties !== undefined) check(schema.additionalProperties as Schema, x, `${path}.${k}`);
      }
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) check(s, v, path);
    if (Array.isArray(schema.oneOf)) {
      // Each branch is tried on its own; only the count of matches matters here.
      const matches = (schema.oneOf as Schema[]).filter((s) => {
        const mark = errors.length;
        const ok = check(s, v, path);
        errors.length = mark;
        return ok;
      }).length;
      if (matches !== 1) fail(`matches ${matches} of the oneOf branches, not exactly one`);
    }
    return errors.length === before;
  };

  check(root, value, '$');
  return errors;
}
