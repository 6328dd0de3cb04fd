/** The Varlink interface definition language: parse, format, validate values; lossless JSON. */
export type {
  VarlinkArrayType,
  VarlinkEnumType,
  VarlinkEnumValue,
  VarlinkErrorType,
  VarlinkField,
  VarlinkFlagUse,
  VarlinkInterface,
  VarlinkMapType,
  VarlinkMember,
  VarlinkMethod,
  VarlinkNamedType,
  VarlinkNullableType,
  VarlinkPrimitiveType,
  VarlinkSetType,
  VarlinkStructType,
  VarlinkType,
  VarlinkTypeAlias,
} from './idl-types.js';
export { VarlinkIdlError } from './varlink-idl-error.js';
export { parseInterface, VARLINK_IDL_MAX_NESTING } from './parse-interface.js';
export { formatInterface, formatType } from './format-interface.js';
export {
  checkParameters,
  checkValue,
  validateParameters,
  VarlinkValidationError,
  VARLINK_INT_MAX,
  VARLINK_INT_MIN,
  type ValidateOptions,
  type VarlinkValuePathSegment,
} from './validate.js';
export {
  parseVarlinkJson,
  stringifyVarlinkJson,
  VARLINK_JSON_MAX_DEPTH,
  VarlinkJsonError,
  type VarlinkJsonValue,
} from './varlink-json.js';
export {
  isVarlinkFieldName,
  isVarlinkInterfaceName,
  isVarlinkMemberName,
  splitQualifiedName,
} from './varlink-names.js';
export { ORG_VARLINK_SERVICE_IDL } from './org-varlink-service-idl.js';
