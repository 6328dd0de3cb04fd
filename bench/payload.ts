/**
 * The request parameters of the small round-trip cases. With the JSON-RPC envelope
 * (`{"jsonrpc":"2.0","id":1,"method":"echo","params":{...}}`) a request is about 66 bytes, the size
 * the C floor sends.
 */
export const SMALL_PARAMS = { msg: 'ping' } as const;

/** Bytes per message the C floor sends: a typical small request. */
export const SMALL_BYTES = 66;

/** Bytes in a mebibyte. */
export const MIB = 1024 * 1024;

/** Size of the bulk echo payload: a 16 MiB string (ASCII, so bytes = characters). */
export const BULK_BYTES = 16 * MIB;

/** Requests kept in flight by the pipelined cases. */
export const IN_FLIGHT = 64;

/** Fds carried by the one message of the many-fds case. */
export const MANY_FDS = 1000;

/** The method every benchmark server answers: replies with its params. */
export const ECHO_METHOD = 'echo';
