/**
 * An error reply from a Varlink service: `error` is the fully-qualified error name
 * (e.g. `org.varlink.service.InvalidParameter`), `parameters` its parameters (`{}` when absent).
 *
 * Handlers throw it to answer a call with an error; clients receive it when a call fails.
 */
export class VarlinkError extends Error {
  override readonly name = 'VarlinkError';
  readonly code = 'ERR_VARLINK_ERROR';
  /** The fully-qualified error name. */
  readonly error: string;
  /** The error's parameters. */
  readonly parameters: Readonly<Record<string, unknown>>;

  constructor(error: string, parameters: Readonly<Record<string, unknown>> = {}) {
    super(describe(error, parameters));
    this.error = error;
    this.parameters = parameters;
  }
}

function describe(error: string, parameters: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(parameters);
  if (keys.length === 0) return error;
  // Show scalar parameters only: the message is for humans, `parameters` keeps the data.
  const parts = keys.map((k) => {
    const v = parameters[k];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? `${k}: ${String(v)}`
      : k;
  });
  return `${error} (${parts.join(', ')})`;
}
