import { readSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pipe } from '../../src/transport/pipe.js';
import { isCloexec } from './harness.js';
import { openFdCount } from '../support/fd-count.js';


describe('pipe', () => {
  it('carries bytes from the write end to the read end, both close-on-exec, and closes cleanly', () => {
    const before = openFdCount();
    const [r, w] = pipe();
    expect(isCloexec(r.value) && isCloexec(w.value)).toBe(true);
    writeSync(w.value, 'hello');
    w.close();
    const buf = Buffer.alloc(16);
    expect(buf.toString('utf8', 0, readSync(r.value, buf))).toBe('hello');
    expect(readSync(r.value, buf)).toBe(0);
    r.close();
    expect(openFdCount()).toBe(before);
  });
});
