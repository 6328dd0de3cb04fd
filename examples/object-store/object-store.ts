import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fd } from '../../src/transport/fd.js';

/** The name of object `i`. */
function objectName(i: number): string {
  return `obj-${String(i).padStart(5, '0')}`;
}

/** The content of object `i`, which clients check. */
function objectContent(i: number): string {
  return `object ${i}`;
}

/** A name was asked for that the store does not hold. */
export class NoSuchObjectError extends Error {
  override readonly name = 'NoSuchObjectError';
  readonly code = 'ERR_NO_SUCH_OBJECT';
  readonly object: string;
  constructor(object: string) {
    super(`no such object: ${object}`);
    this.object = object;
  }
}

/**
 * The objects: files in a private temp directory, created at start with known content. Each open
 * returns fresh read-only fds; the caller owns them.
 */
export class ObjectStore implements Disposable {
  readonly dir: string;
  readonly names: readonly string[];
  readonly #paths = new Map<string, string>();

  constructor(count: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'object-store-'));
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = objectName(i);
      const path = join(this.dir, name);
      writeFileSync(path, objectContent(i));
      this.#paths.set(name, path);
      names.push(name);
    }
    this.names = names;
  }

  /**
   * Opens `names` in order.
   * @throws {NoSuchObjectError} for an unknown name (nothing stays open).
   */
  open(names: readonly string[]): Fd[] {
    const fds: Fd[] = [];
    try {
      for (const name of names) {
        const path = this.#paths.get(name);
        if (path === undefined) throw new NoSuchObjectError(name);
        fds.push(new Fd(openSync(path, 'r')));
      }
      return fds;
    } catch (err) {
      Fd.closeAll(fds);
      throw err;
    }
  }

  /** Removes the directory and its files. */
  [Symbol.dispose](): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
