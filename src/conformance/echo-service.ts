import { ErrorCodes } from '../jsonrpc/error-codes.js';
import type { Handler } from '../jsonrpc/handler.js';
import { JsonRpcError } from '../jsonrpc/jsonrpc-error.js';
import { withFds } from '../jsonrpc/with-fds.js';
import { readFdText } from '../transport/read-fd.js';
import { textPipe } from './text-pipe.js';

/** The text behind the fd that `createPipe` returns (the Go reference example's wording). */
export const PIPE_TEXT = 'Data from server pipe';

/** `readFile` refuses files larger than this. */
export const READ_FILE_LIMIT = 16 * 1024 * 1024;

/**
 * The methods of the reference echo server, compatible with the Go reference's echo example so that
 * the same clients work against both:
 * - `echo`: result = params; received fds are closed.
 * - `echoFds`: result = params, with the received fds sent back in order.
 * - `readFile`: result = the UTF-8 text behind fds[0] (read to EOF); -32602 without an fd.
 * - `createPipe`: result `{"message":"pipe created"}` plus one fd, a pipe read end holding
 *   {@link PIPE_TEXT}.
 * Every received fd not sent back is closed (by the peer, once the handler settled).
 */
export const echoHandlers: Readonly<Record<string, Handler>> = {
  echo: (params) => params ?? null,
  echoFds: (params, ctx) => withFds(params ?? null, ctx.fds),
  readFile: async (_params, ctx) => {
    const fd = ctx.fds[0];
    if (fd === undefined) throw new JsonRpcError(ErrorCodes.InvalidParams, 'No file descriptor provided');
    try {
      return await readFdText(fd.value, { maxBytes: READ_FILE_LIMIT, signal: ctx.signal });
    } catch (error) {
      throw new JsonRpcError(-32000, `reading the fd failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
  createPipe: () => withFds({ message: 'pipe created' }, [textPipe(PIPE_TEXT)]),
};
