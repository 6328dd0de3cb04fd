// Fds on small files, and what is behind an fd.
import { fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { Fd } from '../../src/transport/fd.js';
import { tempDir } from './temp-dir.js';

/** An fd on a fresh, already unlinked temp file holding `text`. */
export function textFd(text: string): Fd {
  const tmp = tempDir('fd-text');
  try {
    const path = tmp.path('f');
    writeFileSync(path, text);
    return new Fd(openSync(path, 'r'));
  } finally {
    tmp.remove();
  }
}

/** The whole content of the regular file behind `fd` (pread: the shared file offset is left alone). */
export function fdText(fd: Fd | number): string {
  const n = typeof fd === 'number' ? fd : fd.value;
  const buffer = Buffer.alloc(fstatSync(n).size);
  readSync(n, buffer, 0, buffer.length, 0);
  return buffer.toString('utf8');
}

/** Inode of the file behind `fd`: the identity of the open file across a pass. */
export function inode(fd: Fd | number): number {
  return fstatSync(typeof fd === 'number' ? fd : fd.value).ino;
}
