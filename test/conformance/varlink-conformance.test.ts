import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NulFramer } from '../../src/codec/nul-framer.js';
import { Fd } from '../../src/transport/fd.js';
import { listen, type UnixListener } from '../../src/transport/unix-listener.js';
import type { UnixSocket } from '../../src/transport/unix-socket.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { runChild, runInProcess, type ServerChild, startChild } from '../support/cli-child.js';

const GO_CERT = '/usr/bin/varlink-go-certification';
const MALFORMED = ['invalid-json', 'not-an-object', 'missing-method', 'non-boolean-flag', 'two-flags', 'unknown-key'];
/** Where varlink-go 0.4.0 departs from UAPI.20: it answers these calls instead of closing. */
const GO_DEVIATIONS = ['malformed/missing-method', 'malformed/two-flags', 'malformed/unknown-key'];

function requireGoCertification(): void {
  if (!existsSync(GO_CERT)) throw new Error(`${GO_CERT} is missing: install Debian package varlink-go`);
}

/** The verdict lines: name → status. */
function verdicts(out: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^(PASS|FAIL|SKIP) ([^:\s]+)/.exec(line);
    if (m) map.set(m[2]!, m[1]!);
  }
  return map;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conformance-varlink-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('conformance --varlink against the certification servers', () => {
  let ours: ServerChild;
  let go: ChildProcess;
  const ourAddress = (): string => `unix:${join(dir, 'ours.sock')}`;
  const goAddress = (): string => `unix:${join(dir, 'go.sock')}`;

  beforeAll(async () => {
    requireGoCertification();
    go = spawn(GO_CERT, [`--varlink=${goAddress()}`], { stdio: 'ignore' });
    ours = await startChild('examples/varlink-certification/server.ts', [ourAddress()], `listening on ${ourAddress()}`);
    for (let i = 0; i < 300 && !existsSync(join(dir, 'go.sock')); i++) await sleep(10);
  });

  afterAll(async () => {
    go?.kill('SIGKILL');
    await ours?.stop();
  });

  it('passes against our certification server (a child process), fd passing skipped with a reason', async () => {
    const { code, out } = await runChild(['conformance', '--varlink', ourAddress()]);
    expect(out).toMatch(/^SKIP fd-passing: the service does not accept fds/m);
    expect(out).not.toContain('FAIL');
    for (const name of ['get-info', 'interface-descriptions', 'certification', 'more-call', 'oneway-no-reply', 'unknown-method',
      'unknown-interface', 'vendor-key-ignored', ...MALFORMED.map((m) => `malformed/${m}`)]) {
      expect(verdicts(out).get(name), name).toBe('PASS');
    }
    expect(out.trimEnd().split('\n').at(-1)).toBe('15 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
    // Still serving after all the malformed calls.
    expect((await runInProcess(['varlink', 'info', ourAddress()])).code).toBe(0);
  });

  it('against varlink-go: the certification and the rest pass, its three UAPI.20 deviations FAIL by name', async () => {
    const { code, out } = await runInProcess(['conformance', '--varlink', goAddress()]);
    const v = verdicts(out);
    expect([...v].filter(([, s]) => s === 'FAIL').map(([n]) => n)).toEqual(GO_DEVIATIONS);
    expect(v.get('certification')).toBe('PASS');
    expect(v.get('more-call')).toBe('PASS');
    expect(out).toMatch(/^FAIL malformed\/unknown-key: the service answered instead of closing the connection: /m);
    expect(out.trimEnd().split('\n').at(-1)).toBe('13 passed, 3 failed, 0 skipped');
    expect(code).toBe(1);
  });

  it('against varlink-go passes (exit 0) once its known deviations are --skip-ped', async () => {
    const { code, out } = await runInProcess(['conformance', '--varlink', goAddress(), ...GO_DEVIATIONS.flatMap((n) => ['--skip', n])]);
    expect(out).not.toContain('FAIL');
    expect(out.trimEnd().split('\n').at(-1)).toBe('13 passed, 0 failed, 3 skipped');
    expect(code).toBe(0);
  });
});

describe('conformance --varlink against in-test services', () => {
  it('fd-passing passes against a service that opts into fds', async () => {
    const service = new VarlinkService({ vendor: 't', product: 'fds', version: '1', url: 'https://example.com' });
    const address = `unix:${join(dir, 'fds.sock')}`;
    const server = await service.listen(address, { fds: true });
    try {
      const { code, out } = await runInProcess(['conformance', '--varlink', address, '--only', 'fd-passing']);
      expect(out).toBe('PASS fd-passing\n1 passed, 0 failed, 0 skipped\n');
      expect(code).toBe(0);
    } finally {
      await server.close();
    }
  });

  /**
   * A deliberately broken service: it answers every message, malformed ones with an InvalidParameter
   * error, and never closes a connection.
   */
  async function brokenServer(path: string): Promise<{ listener: UnixListener; sockets: UnixSocket[] }> {
    const listener = await listen(path);
    const sockets: UnixSocket[] = [];
    const info = { vendor: 'broken', product: 'broken', version: '0', url: 'https://example.com', interfaces: ['org.varlink.service'] };
    void (async () => {
      for await (const socket of listener) {
        sockets.push(socket);
        const framer = new NulFramer();
        const answer = (reply: object): void => void socket.write(Buffer.from(`${JSON.stringify(reply)}\0`)).catch(() => undefined);
        socket.start({
          data: (bytes, fds) => {
            Fd.closeAll(fds);
            framer.push(bytes);
            for (let frame = framer.next(); frame !== null; frame = framer.next()) {
              let call: { method?: unknown; oneway?: unknown } | undefined;
              try {
                call = JSON.parse(frame.toString('utf8')) as typeof call;
              } catch {
                call = undefined;
              }
              if (typeof call !== 'object' || call === null || Array.isArray(call) || typeof call.method !== 'string') {
                answer({ error: 'org.varlink.service.InvalidParameter', parameters: { parameter: 'method' } });
              } else if (call.oneway === true) {
                // no reply
              } else if (call.method === 'org.varlink.service.GetInfo') {
                answer({ parameters: info });
              } else {
                answer({ error: 'org.varlink.service.MethodNotFound', parameters: { method: call.method } });
              }
            }
          },
          end: () => undefined,
          error: () => undefined,
          close: () => undefined,
        });
      }
    })();
    return { listener, sockets };
  }

  it('FAILs every malformed-call case by name against a service that answers instead of closing', async () => {
    const path = join(dir, 'broken.sock');
    const { listener, sockets } = await brokenServer(path);
    try {
      const { code, out } = await runInProcess(['conformance', '--varlink', `unix:${path}`, '--only', 'malformed', '--only', 'get-info']);
      expect(code).toBe(1);
      const v = verdicts(out);
      expect(v.get('get-info')).toBe('PASS');
      for (const m of MALFORMED) {
        expect(v.get(`malformed/${m}`), m).toBe('FAIL');
        expect(out).toContain(`FAIL malformed/${m}: the service answered instead of closing the connection`);
      }
      expect(out.trimEnd().split('\n').at(-1)).toBe('1 passed, 6 failed, 0 skipped');
    } finally {
      await listener.close();
      for (const s of sockets) s.destroy();
    }
  });

  it('--skip without --varlink is a usage error', async () => {
    const { code, err } = await runInProcess(['conformance', '--vectors', '--skip', 'x']);
    expect(code).toBe(2);
    expect(err).toContain('--skip needs --varlink');
  });
});
