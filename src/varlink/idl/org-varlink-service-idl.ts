/**
 * The IDL of `org.varlink.service`, which every Varlink service implements: introspection plus the
 * generic errors any method may return. Includes `ExpectedUpgrade` from UAPI.20.
 */
export const ORG_VARLINK_SERVICE_IDL = `# Introspection of a Varlink service, and the errors that any method of any
# interface may return.
interface org.varlink.service

# Describes this service and lists the interfaces it implements, this one included.
method GetInfo() -> (
  vendor: string,
  product: string,
  version: string,
  url: string,
  interfaces: []string
)

# Returns the definition of one implemented interface, with its doc comments.
method GetInterfaceDescription(interface: string) -> (description: string)

# This service does not implement the named interface.
error InterfaceNotFound (interface: string)

# The interface has no method of that name.
error MethodNotFound (method: string)

# The interface declares the method, but this service has no implementation of it.
error MethodNotImplemented (method: string)

# A parameter is missing, unknown, of the wrong type or out of range.
error InvalidParameter (parameter: string)

# The caller may not call this method.
error PermissionDenied ()

# This method must be called with the 'more' flag.
error ExpectedMore ()

# This method must be called with the 'upgrade' flag.
error ExpectedUpgrade ()
`;
