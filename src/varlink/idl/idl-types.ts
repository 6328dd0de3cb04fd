/**
 * The syntax tree of a Varlink interface definition (IDL), as produced by `parseInterface` and
 * consumed by `formatInterface` and the validator.
 *
 * Documentation comments are kept as `doc`: the comment lines directly before a declaration, each
 * with its `#` and one following space removed, joined with `\n`.
 */

/** A built-in scalar or untyped type. `object` is any JSON object; `any` is any JSON value but null. */
export interface VarlinkPrimitiveType {
  readonly kind: 'bool' | 'int' | 'float' | 'string' | 'object' | 'any';
}

/** A reference to a `type` declared in the same interface. */
export interface VarlinkNamedType {
  readonly kind: 'named';
  readonly name: string;
}

/** One field of a struct (or a method's parameter list). */
export interface VarlinkField {
  readonly name: string;
  readonly type: VarlinkType;
  readonly doc?: string;
}

/** A struct `(a: T, b: U)`; `()` is the empty struct. */
export interface VarlinkStructType {
  readonly kind: 'struct';
  readonly fields: readonly VarlinkField[];
}

/** One value of an enum. */
export interface VarlinkEnumValue {
  readonly name: string;
  readonly doc?: string;
}

/** An enum `(one, two)`, encoded on the wire as one of the names as a JSON string. */
export interface VarlinkEnumType {
  readonly kind: 'enum';
  readonly values: readonly VarlinkEnumValue[];
}

/** An array `[]T`. */
export interface VarlinkArrayType {
  readonly kind: 'array';
  readonly element: VarlinkType;
}

/** A map `[string]T`: a JSON object whose values are all `T`. */
export interface VarlinkMapType {
  readonly kind: 'map';
  readonly value: VarlinkType;
}

/** A set of strings `[string]()`: a JSON object whose values are all `{}`. */
export interface VarlinkSetType {
  readonly kind: 'set';
}

/** A nullable type `?T`: absent and `null` mean the same; `T` is never itself nullable. */
export interface VarlinkNullableType {
  readonly kind: 'nullable';
  readonly type: Exclude<VarlinkType, VarlinkNullableType>;
}

/** Any type expression. */
export type VarlinkType =
  | VarlinkPrimitiveType
  | VarlinkNamedType
  | VarlinkStructType
  | VarlinkEnumType
  | VarlinkArrayType
  | VarlinkMapType
  | VarlinkSetType
  | VarlinkNullableType;

/** `type Name (…)`: a named struct or enum. */
export interface VarlinkTypeAlias {
  readonly kind: 'type';
  readonly name: string;
  readonly doc?: string;
  readonly type: VarlinkStructType | VarlinkEnumType;
}

/**
 * How a method relates to a call flag, from systemd's doc-comment markers
 * (`# [Requires 'more' flag]`, `# [Supports 'more' flag]`, `# [Requires 'upgrade' flag]`).
 * `undefined` means the IDL says nothing.
 */
export type VarlinkFlagUse = 'required' | 'supported';

/** `method Name(input) -> (output)`. */
export interface VarlinkMethod {
  readonly kind: 'method';
  readonly name: string;
  /** The doc comment without the flag marker lines (those are in `more` and `upgrade`). */
  readonly doc?: string;
  readonly input: VarlinkStructType;
  readonly output: VarlinkStructType;
  readonly more?: VarlinkFlagUse;
  readonly upgrade?: VarlinkFlagUse;
}

/** `error Name (…)`. */
export interface VarlinkErrorType {
  readonly kind: 'error';
  readonly name: string;
  readonly doc?: string;
  readonly parameters: VarlinkStructType;
}

/** A top-level declaration; types, methods and errors share one namespace. */
export type VarlinkMember = VarlinkTypeAlias | VarlinkMethod | VarlinkErrorType;

/** A parsed interface definition. */
export interface VarlinkInterface {
  /** Reverse-domain interface name, e.g. `org.varlink.service`. */
  readonly name: string;
  readonly doc?: string;
  /** All declarations in source order. */
  readonly members: readonly VarlinkMember[];
  /** The `type` declarations by name. */
  readonly types: ReadonlyMap<string, VarlinkTypeAlias>;
  /** The `method` declarations by (short) name. */
  readonly methods: ReadonlyMap<string, VarlinkMethod>;
  /** The `error` declarations by (short) name. */
  readonly errors: ReadonlyMap<string, VarlinkErrorType>;
}
