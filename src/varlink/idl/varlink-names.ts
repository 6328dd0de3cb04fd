/**
 * The name rules of the Varlink IDL (UAPI.20 grammar). The service and client layers use these too,
 * e.g. to split `org.example.ftl.Jump` into interface and member.
 */

const INTERFACE_NAME = /^[A-Za-z](-*[A-Za-z0-9])*(\.[A-Za-z0-9](-*[A-Za-z0-9])*)+$/;
const MEMBER_NAME = /^[A-Z][A-Za-z0-9]*$/;
const FIELD_NAME = /^[A-Za-z](_?[A-Za-z0-9])*$/;

/** True for a reverse-domain interface name such as `org.varlink.service` or `com.example.0-x`. */
export function isVarlinkInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name);
}

/** True for a type, method or error name: an uppercase ASCII letter, then ASCII letters and digits. */
export function isVarlinkMemberName(name: string): boolean {
  return MEMBER_NAME.test(name);
}

/** True for a field or enum value name: letters and digits, single `_` only between them. */
export function isVarlinkFieldName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/**
 * Splits a fully qualified method or error name (`org.example.ftl.Jump`) into interface and member.
 * Returns `undefined` when either part is not a valid name.
 */
export function splitQualifiedName(qualified: string): { interface: string; member: string } | undefined {
  const dot = qualified.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const iface = qualified.slice(0, dot);
  const member = qualified.slice(dot + 1);
  if (!isVarlinkInterfaceName(iface) || !isVarlinkMemberName(member)) return undefined;
  return { interface: iface, member };
}
