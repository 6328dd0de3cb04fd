// Linux refuses (ETOOMANYREFS) a sendmsg with fds while more fds than the sender's RLIMIT_NOFILE, sent
// by the same user, wait unread in any socket. One peer that never reads the fds we send it can cause
// that; the refusal must then fail only the write that carried fds (nothing of it was sent), never
// destroy the other connections that happen to send an fd meanwhile.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const LIMIT = 128;

it('an fd write refused with ETOOMANYREFS fails alone; the connection stays usable and sends fds again later', () => {
  // Root is exempt from the limit: run the child as nobody then.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const child = join(import.meta.dirname, 'fixtures/inflight-limit-child.ts');
  const out = execFileSync('sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" --import tsx "$1" ${LIMIT}`, process.execPath, child], {
    ...asNobody,
    cwd: join(import.meta.dirname, '../..'),
    encoding: 'utf8',
    timeout: 20_000,
  });
  const report = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  expect(report).toEqual({ refused: 'ETOOMANYREFS', closedAfterRefusal: false, plain: 'sent', again: 'sent', text: 'plain+again', fds: 1 });
});
