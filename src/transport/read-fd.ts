import { read } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function readChunk(fd: number, buffer: Buffer, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/** How {@link readFdChunks} reads. */
export interface ReadFdOptions {
  /** Read from offset 0 with pread (a regular file: its shared offset is left alone) instead of from the current offset. */
  readonly fromStart?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Bytes per read; 64 KiB by default. */
  readonly chunkSize?: number;
}

/**
 * Yields everything behind `fd` up to EOF, chunk by chunk, without blocking the event loop. The fd is
 * not closed. Received fds may share a nonblocking file description with their sender, so EAGAIN waits
 * and retries (until `signal` aborts). A chunk is only valid until the next one is asked for.
 */
export async function* readFdChunks(fd: number, options: ReadFdOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const buffer = Buffer.allocUnsafe(options.chunkSize ?? 64 * 1024);
  let offset = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    let n: number;
    try {
      n = await readChunk(fd, buffer, options.fromStart === true ? offset : null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await sleep(5, undefined, options.signal ? { signal: options.signal } : {});
      continue;
    }
    if (n === 0) return;
    offset += n;
    yield buffer.subarray(0, n);
  }
}

/** Reads everything from `fd` (from its current offset) up to EOF as UTF-8; more than `maxBytes` is a RangeError. */
export async function readFdText(fd: number, options: { maxBytes: number; signal?: AbortSignal }): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of readFdChunks(fd, { signal: options.signal })) {
    total += chunk.length;
    if (total > options.maxBytes) throw new RangeError(`more than ${options.maxBytes} bytes behind the fd`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
