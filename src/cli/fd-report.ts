import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, write, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Fd } from '../transport/fd.js';
import { readFdChunks } from '../transport/read-fd.js';
import { transferProgress } from './transfer-progress.js';
import { UsageError } from './verb.js';

/** Saving a received fd's content failed (not a timeout): exit code 1, not a connection failure. */
export class SaveFdError extends Error {
  override readonly name = 'SaveFdError';
  readonly code = 'ERR_SAVE_FD';
}

/**
 * Creates the `--save-fds` directory (and its parents) before anything is called, so a directory that
 * cannot exist is a usage error rather than a failure after the call went through. Not
 * `mkdirSync(…, { recursive: true })`: node 20 loops forever on a path whose parent exists but refuses
 * it with ENOENT, as anything under /proc does.
 */
export function makeSaveDir(option: string, dir: string): void {
  try {
    makeDirs(resolve(dir));
  } catch (error) {
    throw new UsageError(`${option} ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    makeDirs(parent);
    mkdirSync(dir); // a second ENOENT now is final
  }
}

/**
 * What a received fd is, the way the CLI verbs report it: one stderr line per fd,
 * `fd INDEX: TYPE TARGET`, optionally followed by ` (saved to PATH)`.
 */
export interface FdInfo {
  readonly index: number;
  readonly type: 'file' | 'directory' | 'pipe' | 'socket' | 'char-device' | 'block-device' | 'other';
  /** The /proc/self/fd link text: a path, `pipe:[inode]`, `socket:[inode]`, `anon_inode:…`. */
  readonly target: string;
  /** Opened for reading (O_RDONLY or O_RDWR). */
  readonly readable: boolean;
  /** Where its content was saved. */
  saved?: string;
}

function fdType(stats: Stats): FdInfo['type'] {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'pipe';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'char-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'other';
}

/** Describes fd number `fd` (received at `index`) from fstat and /proc/self/fd{,info}. */
export function describeFd(index: number, fd: number): FdInfo {
  const type = fdType(fstatSync(fd));
  let target = '?';
  let readable = false;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    // O_ACCMODE: 0 read-only, 1 write-only, 2 read-write.
    readable = flags !== undefined && (Number.parseInt(flags, 8) & 3) !== 1;
  } catch {
    // No /proc: the type alone still says something.
  }
  return { index, type, target, readable };
}

/** The stderr line for a received fd, without the newline; `prefix` tells replies apart (`reply 2 `). */
export function formatFdLine(info: FdInfo, prefix = ''): string {
  const saved = info.saved === undefined ? '' : ` (saved to ${info.saved})`;
  return `${prefix}fd ${info.index}: ${info.type} ${info.target}${saved}`;
}

/** Whether {@link saveFdContent} can copy what is behind the fd. */
export function isSavable(info: FdInfo): boolean {
  return info.readable && (info.type === 'file' || info.type === 'pipe' || info.type === 'char-device');
}

/**
 * Saves the content of received fd `fd` (described by `info`) to `dir/name` with {@link saveFdContent}
 * and records the path in `info.saved`. A copy that takes long shows its progress on `stderr` when that
 * is a terminal (a \r-rewritten line), nothing otherwise. When it gives up (the deadline) with a read
 * still in flight, `fd` is taken and closed once that read returned.
 */
export async function saveReceivedFd(
  fd: Fd,
  info: FdInfo,
  dir: string,
  name: string,
  stderr: NodeJS.WritableStream,
  signal: AbortSignal | undefined,
): Promise<void> {
  const path = join(dir, name);
  const progress = transferProgress(stderr, `saving ${name}`);
  try {
    await saveFdContent(fd, info.type, path, {
      onBytes: (n) => progress.add(n),
      ...(signal ? { signal } : {}),
    });
  } finally {
    progress.done();
  }
  info.saved = path;
}

/** A promise that rejects with the signal's reason once it aborts; `release` removes its listener. */
function abortRace(signal: AbortSignal): { promise: Promise<never>; release(): void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { promise, release: () => signal.removeEventListener('abort', onAbort) };
}

function writeChunk(fd: number, buffer: Buffer, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, buffer, 0, length, null, (error, n) => (error ? reject(error) : resolve(n)));
  });
}

/**
 * Copies everything behind `source` into a new file at `path`, streaming (the content may be large): a
 * regular file from offset 0 with pread (its shared offset is left alone), a pipe or device to EOF,
 * waiting out EAGAIN (see {@link readFdChunks}).
 * `onBytes` hears of every chunk copied (for progress). Resolves to the number of bytes copied.
 */
async function saveFdContent(
  source: Fd,
  type: FdInfo['type'],
  path: string,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<number> {
  const { signal } = options;
  let out: number;
  try {
    out = openSync(path, 'w', 0o600);
  } catch (error) {
    throw saveError(path, error);
  }
  const target = out;
  const fd = source.value;
  let copying = true;
  const copy = (async (): Promise<number> => {
    let total = 0;
    for await (const chunk of readFdChunks(fd, { fromStart: type === 'file', signal, chunkSize: 256 * 1024 })) {
      let written = 0;
      while (written < chunk.length) {
        signal?.throwIfAborted(); // given up: nothing more is written
        written += await writeChunk(target, chunk.subarray(written), chunk.length - written);
      }
      total += chunk.length;
      options.onBytes?.(chunk.length);
    }
    return total;
  })().finally(() => {
    copying = false;
  });
  copy.catch(() => undefined);
  const deadline = signal === undefined ? undefined : abortRace(signal);
  try {
    // A read of a blocking pipe that stays silent never returns, and the signal cannot interrupt it:
    // stop waiting at the deadline.
    return await (deadline === undefined ? copy : Promise.race([copy, deadline.promise]));
  } catch (error) {
    // The deadline's own reason, whichever wait it interrupted (a sleep rejects with an AbortError).
    if (signal?.aborted) throw signal.reason;
    throw saveError(path, error);
  } finally {
    deadline?.release();
    // A read or write still in flight must not meet a closed (maybe reused) fd number: close both after
    // it. The source is taken from its owner, whose close would come at once.
    if (copying) {
      const taken = source.take();
      void copy.catch(() => undefined).finally(() => {
        closeSync(target);
        closeSync(taken);
      });
    } else {
      closeSync(target);
    }
  }
}

function saveError(path: string, error: unknown): SaveFdError {
  return new SaveFdError(`cannot save the fd's content to ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
