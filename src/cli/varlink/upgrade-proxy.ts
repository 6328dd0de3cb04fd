import { Fd } from '../../transport/fd.js';
import type { VarlinkDetached } from '../../varlink/varlink-connection.js';
import { describeFd, formatFdLine } from '../fd-report.js';
import { ExitCode } from '../exit-codes.js';

/** The streams an upgraded connection is joined with. */
export interface ProxyStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** fds that arrive on the raw connection are described here (and closed: a byte stream cannot carry them). */
  readonly stderr: NodeJS.WritableStream;
}

/** Closes an upgraded connection that will not be proxied, and the fds read past its confirming reply. */
export function discardUpgraded(detached: VarlinkDetached): void {
  detached.transport.destroy();
  for (const chunk of detached.pending) Fd.closeAll(chunk.fds);
}

/**
 * Joins an upgraded connection with `input` and `output`, raw bytes both ways: what the service sends
 * (starting with the bytes read past the confirming reply) goes to `output`; `input` goes to the
 * service, and its EOF half-closes the socket. Resolves when both directions ended: 0, or 3 when the
 * connection failed.
 */
export function proxyUpgraded(detached: VarlinkDetached, streams: ProxyStreams): Promise<number> {
  const { transport } = detached;
  const { input, output, stderr } = streams;
  let failure: Error | undefined;
  let waitingForDrain = false;

  const dropFds = (fds: Fd[]): void => {
    for (const fd of fds) stderr.write(`raw ${formatFdLine(describeFd(0, fd.value))} (closed)\n`);
    Fd.closeAll(fds);
  };
  const deliver = (bytes: Buffer, fds: Fd[]): void => {
    dropFds(fds);
    if (bytes.length === 0) return;
    if (!output.write(bytes) && !waitingForDrain) {
      // Backpressure: stop reading the socket until the output caught up.
      waitingForDrain = true;
      transport.pause();
      output.once('drain', () => {
        waitingForDrain = false;
        if (!transport.closed) transport.resume();
      });
    }
  };

  for (const chunk of detached.pending) deliver(chunk.bytes, chunk.fds);

  return new Promise<number>((resolve) => {
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      input.pause();
      transport.write(bytes).then(
        () => input.resume(),
        (error: Error) => {
          failure ??= error;
          transport.destroy(error);
        },
      );
    };
    const onEnd = (): void => {
      // Half-close: the service sees EOF and may still answer.
      transport.end().catch((error: Error) => {
        failure ??= error;
        transport.destroy(error);
      });
    };
    input.on('data', onData);
    input.once('end', onEnd);
    transport.start({
      data: deliver,
      end: () => undefined,
      error: (error) => {
        failure ??= error;
      },
      close: () => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.pause();
        if (failure !== undefined) stderr.write(`jsonrpc-fdpass varlink call: upgraded connection failed: ${failure.message}\n`);
        resolve(failure === undefined ? ExitCode.Ok : ExitCode.ConnectionFailure);
      },
    });
    input.resume();
  });
}
