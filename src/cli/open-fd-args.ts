import { fstatSync, openSync } from 'node:fs';
import { Fd, type FdLike } from '../transport/fd.js';
import { UsageError } from './verb.js';

/**
 * Opens the fd arguments of `option` (`--fd`, `--push-fd`) in order: a PATH read-only (owned: pushed
 * into `owned` for the caller to close), a NUM as an fd this process inherited (borrowed, e.g. `3<file`
 * in the shell). An argument that cannot be opened is a usage error.
 */
export function openFdArgs(option: string, args: readonly string[], owned: Fd[]): FdLike[] {
  return args.map((arg) => {
    if (/^\d+$/.test(arg)) {
      const n = Number(arg);
      try {
        fstatSync(n);
      } catch {
        throw new UsageError(`${option} ${arg}: fd ${n} is not open in this process`);
      }
      return n;
    }
    try {
      const fd = new Fd(openSync(arg, 'r'));
      owned.push(fd);
      return fd;
    } catch (error) {
      throw new UsageError(`${option} ${arg}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
