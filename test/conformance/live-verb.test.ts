import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli-child.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

// Every verb run closes what it opened (vector transports, sockets, fds).
expectNoFdLeaks();

function lines(out: string): string[] {
  return out.trimEnd().split('\n');
}

describe('conformance command line', () => {
  it.each([[['conformance']], [['conformance', '--server', 'a', '--client', 'b']], [['conformance', '--client', 'x', '--pid', '1']], [['conformance', '--server', 's', '--timeout', '0']], [['conformance', '--server', 's', '--timeout', '99999999999']], [['conformance', '--vectors', '--server', 's']], [['conformance', '--vectors-dir', 'd', '--server', 's']], [['conformance', '--varlink', 'nowhere']], [['conformance', '--varlink', 'unix:/x', '--only', 'no-such-case']], [['conformance', '--varlink', 'unix:/x', '--skip', 'get-info-typo']], [['conformance', '--server', 's', '--only', 'no-such-case']], [['conformance', '--vectors', '--vectors-dir', '/nonexistent/vectors']], [['conformance', '--vectors', '--vectors-dir', '/proc/self/fdinfo']]])(
    'exits 2 on a usage error: %j',
    async (args) => {
      const { code, err } = await runInProcess(args);
      expect(code).toBe(2);
      expect(err).toContain('Usage: jsonrpc-fdpass conformance');
    },
  );

  it('--list prints the case names', async () => {
    const { code, out } = await runInProcess(['conformance', '--list']);
    expect(code).toBe(0);
    expect(lines(out)).toContain('fatal-eof-before-fds');
  });
});

describe('conformance --vectors', () => {
  it('runs the shipped spec vectors against this package: every line PASS, exit 0', async () => {
    const { code, out } = await runInProcess(['conformance', '--vectors']);
    const all = lines(out);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((line) => !line.startsWith('PASS '))).toEqual([expect.stringMatching(/^\d+ passed, 0 failed, 0 skipped$/)]);
    expect(all).toContainEqual(expect.stringMatching(/^PASS receiver\//));
    expect(all).toContainEqual(expect.stringMatching(/^PASS sender\/.*@(memory|socket)$/));
    expect(code).toBe(0);
  });

  it('a vector whose expectation the channel does not meet is a FAIL line and exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-vectors-'));
    try {
      mkdirSync(join(dir, 'receiver'));
      const request = '{"jsonrpc":"2.0","method":"m","id":1,"fds":1}';
      writeFileSync(
        join(dir, 'receiver', 'wrong.json'),
        JSON.stringify({
          kind: 'receiver',
          vectors: [
            {
              name: 'deliberately-wrong-fd-count',
              description: 'Expects no fd although one arrives with the message.',
              rule: 'test only',
              reads: [{ utf8: request, fds: 1 }],
              expect: { messages: [{ json: JSON.parse(request) as unknown, fds: 0, afterRead: 0 }] },
            },
          ],
        }),
      );
      const { code, out } = await runInProcess(['conformance', '--vectors', '--vectors-dir', dir]);
      expect(lines(out)).toEqual([expect.stringMatching(/^FAIL receiver\/deliberately-wrong-fd-count: .+/), '0 passed, 1 failed, 0 skipped']);
      expect(code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
