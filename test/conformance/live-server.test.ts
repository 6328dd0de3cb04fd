import { mkdtempSync, rmSync } from 'node:fs';
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
});

describe('conformance --server catches broken servers', () => {
  async function runAgainst(mode: string, args: readonly string[]): Promise<{ code: number; out: string; server: ServerChild }> {
    const socketPath = join(dir, `${mode}.sock`);
    const server = await startChild('test/conformance/fixtures/broken-echo-server.ts', [socketPath, mode], 'ready\n');
    try {
      const { code, out } = await runInProcess(['conformance', '--server', socketPath, '--timeout', '1000', ...args]);
      return { code, out, server };
    } finally {
      await server.stop();
    }
  }

  it('a receiver that only counts queued fds: hands the next message’s fd to the current one, waits past the next message', async () => {
    const { code, out } = await runAgainst('fd-fifo', ['--only', 'echo-round-trip', '--only', 'fatal-mismatched']);
    expect(lines(out)).toEqual([
      'PASS echo-round-trip',
      'FAIL fatal-mismatched-count-next-message-first: the connection was still open 1000 ms later',
      expect.stringMatching(
        /^FAIL fatal-mismatched-count-next-message-brings-its-own-fd: the connection was still open 1000 ms later; it answered .*"id":1.*"result":"first"/,
      ),
      'PASS server-still-up-after-the-suite',
      'SKIP no-fd-leak-in-the-server: needs --pid',
      '2 passed, 2 failed, 1 skipped',
    ]);
    expect(code).toBe(1);
  });

  it('a server that crashes on negative fds fails that case and every later one', async () => {
    const { code, out, server } = await runAgainst('crash-on-negative-fds', ['--only', 'echo-round-trip', '--only', 'negative']);
    expect(lines(out)).toEqual([
      'PASS echo-round-trip',
      // The probe may connect while the dying process still holds its listening socket.
      expect.stringMatching(/^FAIL fatal-negative-fds-closes-the-connection: the server is (down|not serving) after closing the bad connection/),
      expect.stringMatching(/^FAIL server-still-up-after-the-suite: the server is down after the suite/),
      'SKIP no-fd-leak-in-the-server: needs --pid',
      '1 passed, 2 failed, 1 skipped',
    ]);
    expect(code).toBe(1);
    expect(await server.exit).toBe(70);
  });

  it('a server that answers notifications', async () => {
    const { code, out } = await runAgainst('answer-notifications', ['--only', 'notification']);
    expect(lines(out)[0]).toMatch(/^FAIL notification-is-not-answered: a notification was answered: \{"jsonrpc":"2.0","id":null/);
    expect(code).toBe(1);
  });

  it('a server that leaks the fds it receives (--pid)', async () => {
    const socketPath = join(dir, 'leak.sock');
    const server = await startChild('test/conformance/fixtures/broken-echo-server.ts', [socketPath, 'leak-fds'], 'ready\n');
    try {
      const { code, out } = await runInProcess([
        'conformance', '--server', socketPath, '--pid', String(server.pid), '--only', 'read-file', '--only', 'fds-600',
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
    } finally {
      await server.stop();
    }
  });
});
