/** The msgpack codec was asked for, but its optional dependency `msgpackr` cannot be loaded. */
export class MsgpackUnavailableError extends Error {
  override readonly name = 'MsgpackUnavailableError';
  readonly code = 'ERR_MSGPACK_UNAVAILABLE';

  constructor(options?: ErrorOptions) {
    super('the msgpack codec needs the optional dependency "msgpackr": install it with `npm install msgpackr`', options);
  }
}
