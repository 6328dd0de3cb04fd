/** A syntax or consistency error in a Varlink interface definition, with its 1-based position. */
export class VarlinkIdlError extends Error {
  override readonly name = 'VarlinkIdlError';
  readonly code = 'ERR_VARLINK_IDL';
  /** 1-based line of the offending token. */
  readonly line: number;
  /** 1-based column of the offending token, counted in UTF-16 code units. */
  readonly column: number;
  /** The problem without the position prefix, e.g. `expected ':' after field name, found ','`. */
  readonly detail: string;

  constructor(detail: string, line: number, column: number) {
    super(`line ${line}, column ${column}: ${detail}`);
    this.detail = detail;
    this.line = line;
    this.column = column;
  }
}
