/** A failed system call, with the errno name as `code` (`EAGAIN`, `EINVAL`, `ECONNREFUSED`, …). */
export class SystemError extends Error {
  override readonly name = 'SystemError';
  /** errno name, e.g. `EINVAL`. */
  readonly code: string;
  /** Numeric errno. */
  readonly errno: number;
  /** The system call that failed, e.g. `sendmsg`. */
  readonly syscall: string;

  constructor(syscall: string, code: string, errno: number, detail?: string) {
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ''}`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** The transport was closed (by us or the peer) while an operation was pending. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
  readonly code = 'ERR_TRANSPORT_CLOSED';
  constructor(message = 'transport is closed') {
    super(message);
  }
}

/** A transport was used in a state that does not allow the call (e.g. `start()` a second time). */
export class TransportStateError extends Error {
  override readonly name = 'TransportStateError';
  readonly code = 'ERR_TRANSPORT_STATE';
}

/** A write that cannot be sent as asked (bytes that are not a Uint8Array, fds without bytes, too many fds without a filler byte). */
export class InvalidWriteError extends Error {
  override readonly name = 'InvalidWriteError';
  readonly code = 'ERR_INVALID_WRITE';
}

/** An argument of the wrong type (a TypeError, with node's code for it). */
export class InvalidArgumentError extends TypeError {
  override readonly name: string = 'InvalidArgumentError';
  readonly code: string = 'ERR_INVALID_ARG_TYPE';
}

/** An argument or option outside its allowed range (a RangeError, with node's code for it). */
export class ArgumentRangeError extends RangeError {
  override readonly name: string = 'ArgumentRangeError';
  readonly code: string = 'ERR_OUT_OF_RANGE';
}
