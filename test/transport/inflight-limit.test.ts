// Linux refuses (ETOOMANYREFS) a sendmsg with fds while more fds than the sender's RLIMIT_NOFILE, sent
// by the same user, wait unread in any socket. One peer that never reads the fds we send it can cause
// that; the refusal must then fail only the write that carried fds (nothing of it was sent), never
// destroy the other connections that happen to send an fd meanwhile.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, expect, it } from 'vitest';

const LIMIT = 128;
const root = join(import.meta.dirname, '../..');
// Under /tmp itself, not $TMPDIR: the child's user must be able to enter every directory above it.
const dir = mkdtempSync('/tmp/fdpass-inflight-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The child as one JavaScript file plus the addon, in a directory anyone can read. Run as nobody, it
 * cannot use the checkout itself, which may sit below a directory only root may enter (a mktemp -d
 * clone): tsx looks for package.json with access(2), which ignores the capabilities that would let it in.
 */
function bundleChild(): string {
  const script = join(dir, 'dist/child/child.mjs');
  buildSync({
    entryPoints: [join(import.meta.dirname, 'fixtures/inflight-limit-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: script,
    logLevel: 'error',
  });
  // The addon is loaded relative to the module: ../../build/Release from dist/child/.
  mkdirSync(join(dir, 'build/Release'), { recursive: true });
  copyFileSync(join(root, 'build/Release/fdpass_native.node'), join(dir, 'build/Release/fdpass_native.node'));
  for (const d of [dir, join(dir, 'dist'), join(dir, 'dist/child'), join(dir, 'build'), join(dir, 'build/Release')]) chmodSync(d, 0o755);
  return script;
}

it('an fd write refused with ETOOMANYREFS fails alone; the connection stays usable and sends fds again later', () => {
  // Root is exempt from the limit: run the child as nobody then.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const out = execFileSync('sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$1" ${LIMIT}`, process.execPath, bundleChild()], {
    ...asNobody,
    cwd: dir,
    encoding: 'utf8',
    timeout: 20_000,
  });
  const report = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  expect(report).toEqual({ refused: 'ETOOMANYREFS', closedAfterRefusal: false, plain: 'sent', again: 'sent', text: 'plain+again', fds: 1 });
});
