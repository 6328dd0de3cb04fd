import { writeSync } from 'node:fs';
import type { Fd } from '../transport/fd.js';
import { pipe } from '../transport/pipe.js';

/**
 * Returns the read end of a pipe that holds `text` followed by EOF. `text` must fit the pipe buffer
 * (64 KiB), since nobody reads while we write.
 */
export function textPipe(text: string): Fd {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 65536) throw new RangeError('text does not fit a pipe buffer');
  const [reader, writer] = pipe();
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(writer.value, bytes, offset);
    return reader;
  } catch (error) {
    reader.close();
    throw error;
  } finally {
    writer.close();
  }
}
