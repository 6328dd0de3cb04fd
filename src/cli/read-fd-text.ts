import { read } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function readChunk(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, buffer.length, null, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/**
 * Reads everything from `fd` up to EOF as UTF-8, without blocking the event loop. The fd is not closed.
 * Received fds may share a nonblocking file description with their sender, so EAGAIN waits and retries
 * (until `signal` aborts).
 */
export async function readFdText(fd: number, options: { maxBytes: number; signal?: AbortSignal }): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    options.signal?.throwIfAborted();
    let n: number;
    try {
      n = await readChunk(fd, buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        await sleep(5, undefined, options.signal ? { signal: options.signal } : {});
        continue;
      }
      throw error;
    }
    if (n === 0) break;
    total += n;
    if (total > options.maxBytes) throw new RangeError(`more than ${options.maxBytes} bytes behind the fd`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
