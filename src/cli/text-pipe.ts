import { execFile } from 'node:child_process';
import { constants, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Fd } from '../transport/fd.js';

const execFileAsync = promisify(execFile);

/**
 * Returns the read end of a pipe that holds `text` followed by EOF.
 *
 * Node has no pipe(2) and the native addon offers none, so the pipe is made from a FIFO: a fresh FIFO in a
 * private temp directory is opened for reading (nonblocking, so the open does not wait for a writer),
 * then for writing; the text goes in, the write end is closed and the FIFO's name removed. What remains
 * is an anonymous pipe read end, as pipe(2) would give (libuv opens it close-on-exec). `text` must fit
 * the pipe buffer (64 KiB).
 */
export async function textPipe(text: string): Promise<Fd> {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 65536) throw new RangeError('text does not fit a pipe buffer');
  const dir = mkdtempSync(join(tmpdir(), 'jsonrpc-fdpass-pipe-'));
  try {
    const path = join(dir, 'fifo');
    await execFileAsync('mkfifo', ['-m', '600', path]);
    const reader = new Fd(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    try {
      const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(writer, bytes, offset);
      } finally {
        closeSync(writer);
      }
      return reader;
    } catch (error) {
      reader.close();
      throw error;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
