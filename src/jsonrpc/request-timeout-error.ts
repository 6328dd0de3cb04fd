/** A request got no response within its `timeoutMs`. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'ERR_REQUEST_TIMEOUT';
  /** The method that timed out. */
  readonly method: string;
  constructor(method: string, timeoutMs: number) {
    super(`request ${JSON.stringify(method)} timed out after ${timeoutMs} ms`);
    this.method = method;
  }
}
