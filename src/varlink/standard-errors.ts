import { VarlinkError } from './varlink-error.js';

/** The errors of `org.varlink.service`, which any method of any interface may return. */
export const VarlinkStandardError = {
  InterfaceNotFound: 'org.varlink.service.InterfaceNotFound',
  MethodNotFound: 'org.varlink.service.MethodNotFound',
  MethodNotImplemented: 'org.varlink.service.MethodNotImplemented',
  InvalidParameter: 'org.varlink.service.InvalidParameter',
  PermissionDenied: 'org.varlink.service.PermissionDenied',
  ExpectedMore: 'org.varlink.service.ExpectedMore',
  ExpectedUpgrade: 'org.varlink.service.ExpectedUpgrade',
} as const;

/** `org.varlink.service.InvalidParameter`, naming the offending parameter (a dotted path for nested fields). */
export function invalidParameter(parameter: string): VarlinkError {
  return new VarlinkError(VarlinkStandardError.InvalidParameter, { parameter });
}

/** `org.varlink.service.PermissionDenied`. */
export function permissionDenied(): VarlinkError {
  return new VarlinkError(VarlinkStandardError.PermissionDenied);
}
