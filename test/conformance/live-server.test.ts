import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverCases } from '../../src/conformance/live/server-cases.js';
import { runInProcess, type ServerChild, startChild, startServeEcho } from '../support/cli-child.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conformance-live-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
// The suite's connections and the fds it sent or received are all closed when it returns.
expectNoFdLeaks();

function lines(out: string): string[] {
  return out.trimEnd().split('\n');
}

describe('conformance --server against our own serve-echo', () => {
  let server: ServerChild;
  beforeAll(async () => {
    server = await startServeEcho(join(dir, 'echo.sock'));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('passes every case, the liveness check and the fd leak check, and exits 0', async () => {
    const { code, out, err } = await runInProcess(['conformance', '--server', join(dir, 'echo.sock'), '--pid', String(server.pid)]);
    const expected = [
      ...serverCases.map((c) => `PASS ${c.name}`),
      'PASS server-still-up-after-the-suite',
      'PASS no-fd-leak-in-the-server',
      `${serverCases.length + 2} passed, 0 failed, 0 skipped`,
    ];
    expect(lines(out)).toEqual(expected);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(server.child.exitCode).toBeNull();
  });

  it('without --pid the leak check is skipped (still exit 0)', async () => {
    const { code, out } = await runInProcess(['conformance', '--server', join(dir, 'echo.sock'), '--only', 'echo-round-trip']);
    expect(lines(out)).toEqual([
      'PASS echo-round-trip',
      'PASS server-still-up-after-the-suite',
      'SKIP no-fd-leak-in-the-server: needs --pid',
      '2 passed, 0 failed, 1 skipped',
    ]);
    expect(code).toBe(0);
  });

  it('the leak check FAILs, never passes, when --pid names a process that has exited but was not reaped', async () => {
    // The shell starts a short sleep in the background and execs into a long one, which never reaps it: a
    // zombie, whose /proc/PID/fd is empty (a naive count would see 0 fds and pass). The child must outlive
    // the exec, or the shell may reap it first.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(parent.stdout, 'data'))[0].toString().trim());
      await new Promise((r) => setTimeout(r, 600));
      expect(readFileSync(`/proc/${zombie}/status`, 'utf8')).toMatch(/^State:\s+Z/m);
      const { code, out } = await runInProcess(['conformance', '--server', join(dir, 'echo.sock'), '--pid', String(zombie), '--only', 'echo-round-trip']);
      expect(lines(out)).toContain(`FAIL no-fd-leak-in-the-server: the server process ${zombie} has exited`);
      expect(code).toBe(1);
    } finally {
      parent.kill();
      await once(parent, 'exit');
    }
  });
});

/**
 * One defect of test/conformance/fixtures/broken-echo-server.ts per case (its mode, which is also the
 * socket's name), and the FAIL line that case must print against it. Each defect is the server's only
 * flaw; the comment names the other cases it breaks as well (the runs below use --only).
 */
const DEFECTS: ReadonlyArray<{ readonly mode: string; readonly case: string; readonly fail: string | RegExp }> = [
  {
    mode: 'echo-drops-nulls',
    case: 'echo-round-trip',
    fail: 'id 1: expected result {"text":"héllo ☃","list":[1,2.5,null,true],"nested":{"empty":{}}}, got {"text":"héllo ☃","list":[1,2.5,true],"nested":{"empty":{}}}',
  },
  {
    mode: 'read-file-single-short-read',
    case: 'read-file-with-one-fd',
    fail: 'id 1: expected result "contents of a file passed by fd\\n", got "contents of a file passed by fd"',
  },
  { mode: 'create-pipe-without-fd', case: 'create-pipe-returns-a-readable-pipe', fail: 'expected 1 fd with the response, got 0' },
  {
    mode: 'echo-fds-reversed',
    case: 'echo-fds-returns-the-same-files',
    fail: /^expected the same 3 files back in order \(inodes (\d+),(\d+),(\d+)\), got inodes \3,\2,\1$/,
  },
  // Also breaks fd-on-first-byte-rest-split and message-of-4-MiB.
  {
    mode: 'whole-messages-per-read',
    case: 'request-written-one-byte-per-sendmsg',
    fail: /^the server closed the connection while the request was still being written \(sendmsg failed: (EPIPE|ECONNRESET)\)$/,
  },
  { mode: 'fds-lost-from-partial-reads', case: 'fd-on-first-byte-rest-split', fail: 'no response to id 7 within 1000 ms' },
  { mode: 'read-fds-go-to-last-message', case: 'several-requests-in-one-write', fail: 'id 1: expected result "first of three\\n", got undefined' },
  { mode: 'fd-batches-beyond-253-lost', case: 'fds-600-batched-with-space-continuations', fail: 'no response to id 1 within 1000 ms' },
  // Also breaks fds-600-batched-with-space-continuations.
  { mode: 'fds-on-trailing-filler-dropped', case: 'late-fds-in-a-continuation-write', fail: 'no response to id 1 within 1000 ms' },
  { mode: 'drops-beyond-100-in-flight', case: 'pipelined-1000-requests', fail: /^[1-9]\d* of 1000 requests were not answered$/ },
  {
    mode: 'max-message-1-MiB',
    case: 'message-of-4-MiB',
    // It closes with a -32050 error while the request is still being written.
    fail: /^the server closed the connection while the request was still being written \((sendmsg|recvmsg) failed: (EPIPE|ECONNRESET)\)$/,
  },
  {
    mode: 'tab-and-cr-are-garbage',
    case: 'all-four-whitespace-bytes-between-messages',
    // Depending on when the close lands: the -32050 error, or the next write of the case fails.
    fail: /^(expected the response to id 1, got \{"jsonrpc":"2.0","error":\{"code":-32050,"message":"File Descriptor Error","data":\{"reason":"framing"\}\},"id":null\}|the server closed the connection while the request was still being written \(sendmsg failed: (EPIPE|ECONNRESET)\))$/,
  },
  { mode: 'answer-notifications', case: 'notification-is-not-answered', fail: 'a notification was answered: {"jsonrpc":"2.0","id":null,"result":{"note":true}}' },
  {
    mode: 'unknown-method-internal-error',
    case: 'unknown-method-is-32601',
    fail: 'expected error -32601 for id 1, got {"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error"}}',
  },
  {
    mode: 'invalid-request-is-32601',
    case: 'invalid-request-is-32600',
    fail: 'expected error -32600 for id 1, got {"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}',
  },
  { mode: 'null-id-omitted', case: 'null-id-request-is-answered-with-null-id', fail: 'expected the response to id null, got {"jsonrpc":"2.0","result":["null id"]}' },
  { mode: 'string-id-mojibake', case: 'string-id-is-preserved', fail: 'expected the response to id "req-ü-1", got {"jsonrpc":"2.0","id":"req-Ã¼-1","result":[]}' },
  { mode: 'garbage-skipped', case: 'fatal-garbage-closes-the-connection', fail: 'the connection was still open 1000 ms later' },
  {
    mode: 'negative-fds-as-zero',
    case: 'fatal-negative-fds-closes-the-connection',
    fail: 'the connection was still open 1000 ms later; it answered [{"jsonrpc":"2.0","id":1,"result":{}}]',
  },
  {
    mode: 'fractional-fds-truncated',
    case: 'fatal-fractional-fds-closes-the-connection',
    fail: 'the connection was still open 1000 ms later; it answered [{"jsonrpc":"2.0","id":1,"result":{}}]',
  },
  { mode: 'mismatch-waits-for-fds', case: 'fatal-mismatched-count-next-message-first', fail: 'the connection was still open 1000 ms later' },
  {
    // A receiver that only counts queued fds hands the next message's fd to the current one.
    mode: 'fd-stealing',
    case: 'fatal-mismatched-count-next-message-brings-its-own-fd',
    fail: 'the connection was still open 1000 ms later; it answered [{"jsonrpc":"2.0","id":1,"result":"first"}]',
  },
  {
    mode: 'eof-answers-without-fds',
    case: 'fatal-eof-before-fds',
    fail: 'before closing, the server sent {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"No file descriptor provided"}} (only a -32050 error may precede the close)',
  },
];

describe('conformance --server catches broken servers', () => {
  // One child serves every defect, each on its own socket.
  let broken: ServerChild;
  const socket = (mode: string): string => join(dir, `${mode}.sock`);
  beforeAll(async () => {
    broken = await startChild(
      'test/conformance/fixtures/broken-echo-server.ts',
      [dir, 'good', 'leak-fds', 'echo-attaches-an-fd', ...DEFECTS.map((d) => d.mode)],
      'ready\n',
    );
  });
  afterAll(async () => {
    await broken.stop();
  });

  it('the defect table covers every server case', () => {
    expect(DEFECTS.map((d) => d.case).sort()).toEqual(serverCases.map((c) => c.name).sort());
  });

  it('the fixture without a defect passes every case and the fd leak check', async () => {
    const { code, out } = await runInProcess(['conformance', '--server', socket('good'), '--pid', String(broken.pid)]);
    expect(lines(out).filter((l) => !l.startsWith('PASS '))).toEqual([`${serverCases.length + 2} passed, 0 failed, 0 skipped`]);
    expect(code).toBe(0);
  });

  it('a server that leaks the fds it receives (--pid)', async () => {
    const { code, out } = await runInProcess([
      'conformance', '--server', socket('leak-fds'), '--pid', String(broken.pid), '--only', 'read-file', '--only', 'fds-600',
    ]);
    expect(lines(out)).toEqual([
      'PASS read-file-with-one-fd',
      'PASS fds-600-batched-with-space-continuations',
      'PASS server-still-up-after-the-suite',
      // 1 fd from the first case, 600 from the second.
      expect.stringMatching(/^FAIL no-fd-leak-in-the-server: the server holds 601 more fds than before the suite \(\d+ → \d+\)$/),
      '3 passed, 1 failed, 0 skipped',
    ]);
    expect(code).toBe(1);
  });

  it('fds a server attaches to answers the cases ignore are closed all the same (expectNoFdLeaks)', async () => {
    const { code, out } = await runInProcess([
      'conformance', '--server', socket('echo-attaches-an-fd'), '--only', 'echo-round-trip', '--only', 'string-id',
    ]);
    expect(lines(out)).toEqual([
      'PASS echo-round-trip',
      'PASS string-id-is-preserved',
      'PASS server-still-up-after-the-suite',
      'SKIP no-fd-leak-in-the-server: needs --pid',
      '3 passed, 0 failed, 1 skipped',
    ]);
    expect(code).toBe(0);
  });

  it('every case FAILs with its specific reason against the server with its defect (the rest of the server still serves)', async () => {
    const runs = await Promise.all(
      DEFECTS.map((d) => runInProcess(['conformance', '--server', socket(d.mode), '--timeout', '1000', '--only', d.case])),
    );
    const got = Object.fromEntries(DEFECTS.map((d, i) => [d.mode, { code: runs[i]!.code, lines: lines(runs[i]!.out) }]));
    const want = Object.fromEntries(
      DEFECTS.map((d) => [
        d.mode,
        {
          code: 1,
          lines: [
            typeof d.fail === 'string' ? `FAIL ${d.case}: ${d.fail}` : expect.stringMatching(new RegExp(`^FAIL ${d.case}: ${d.fail.source.slice(1)}`)),
            'PASS server-still-up-after-the-suite',
            'SKIP no-fd-leak-in-the-server: needs --pid',
            '1 passed, 1 failed, 1 skipped',
          ],
        },
      ]),
    );
    expect(got).toEqual(want);
    expect(broken.child.exitCode).toBeNull();
  });

  it('a server that crashes on negative fds fails that case and every later one', async () => {
    // A child of its own (it dies), started here so that its pipes are gone again when the test ends.
    const crashing = await startChild('test/conformance/fixtures/broken-echo-server.ts', [dir, 'crash-on-negative-fds'], 'ready\n');
    const { code, out } = await runInProcess(
      ['conformance', '--server', socket('crash-on-negative-fds'), '--timeout', '1000', '--only', 'echo-round-trip', '--only', 'negative'],
    ).finally(() => crashing.stop());
    expect(lines(out)).toEqual([
      'PASS echo-round-trip',
      // The probe may connect while the dying process still holds its listening socket.
      expect.stringMatching(/^FAIL fatal-negative-fds-closes-the-connection: the server is (down|not serving) after closing the bad connection/),
      expect.stringMatching(/^FAIL server-still-up-after-the-suite: the server is down after the suite/),
      'SKIP no-fd-leak-in-the-server: needs --pid',
      '1 passed, 2 failed, 1 skipped',
    ]);
    expect(code).toBe(1);
    expect(await crashing.exit).toBe(70);
  });
});
