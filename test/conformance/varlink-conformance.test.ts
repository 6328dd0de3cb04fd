import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { varlinkCases } from '../../src/conformance/varlink/varlink-cases.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { runChild, runInProcess, type ServerChild, startChild } from '../support/cli-child.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { startBrokenVarlinkService, VARLINK_DEFECTS } from './fixtures/broken-varlink-service.js';

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
  // The services run in this process: they and the suite close every connection and fd they opened.
  expectNoFdLeaks();

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

  it('FAILs every malformed-call case by name against a service that answers instead of closing', async () => {
    const path = join(dir, 'broken.sock');
    const service = await startBrokenVarlinkService(path, 'malformed-answered');
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
      await service.close();
    }
  });

  /** The FAIL line each case prints against the service with its defect (fixtures/broken-varlink-service.ts). */
  const EXPECTED_FAIL: Record<keyof typeof VARLINK_DEFECTS, string | RegExp> = {
    'get-info-without-service-interface': 'GetInfo: "interfaces" lacks org.varlink.service',
    'description-does-not-parse': /^org\.varlink\.service: the description does not parse: .+/,
    'certification-wrong-reply': 'Test01 replied {"bool":false}, expected {"bool":true}',
    'more-never-ends': 'org.varlink.service.GetInfo with more, reply 2: no reply within 500 ms',
    'oneway-answered': /^a oneway call was answered: \{"parameters":\{"vendor":"broken",.*"interfaces":\["org\.varlink\.service"\]\}\}$/,
    'pipelined-out-of-order': /^first reply is not the description: \{"parameters":\{"vendor":"broken",/,
    'unknown-method-is-interface-not-found': 'expected error org.varlink.service.MethodNotFound, got org.varlink.service.InterfaceNotFound',
    'unknown-interface-is-method-not-found': 'expected error org.varlink.service.InterfaceNotFound, got org.varlink.service.MethodNotFound',
    'vendor-key-rejected': 'GetInfo with a vendor key: GetInfo failed with org.varlink.service.InvalidParameter',
    'fds-returned-with-next-reply': 'a GetInfo reply carried fds',
  };

  it('every other case FAILs with its specific reason against a service with its defect, and passes without it', async () => {
    const defects = Object.keys(VARLINK_DEFECTS) as Array<keyof typeof VARLINK_DEFECTS>;
    const cases = Object.values(VARLINK_DEFECTS);
    // Together with the malformed cases above, the table covers every case.
    expect([...cases, ...MALFORMED.map((m) => `malformed/${m}`)].sort()).toEqual(varlinkCases.map((c) => c.name).sort());
    const services = await Promise.all(
      [...defects, 'good' as const].map((defect) => startBrokenVarlinkService(join(dir, `${defect}.sock`), defect)),
    );
    try {
      const run = (defect: string, name: string): ReturnType<typeof runInProcess> =>
        runInProcess(['conformance', '--varlink', `unix:${join(dir, `${defect}.sock`)}`, '--timeout', '500', '--only', name]);
      const [good, ...runs] = await Promise.all([run('good', ''), ...defects.map((d) => run(d, VARLINK_DEFECTS[d]))]);
      expect(good!.out.trimEnd().split('\n').filter((l) => !l.startsWith('PASS '))).toEqual([
        'SKIP certification: the service does not implement org.varlink.certification',
        `${varlinkCases.length - 1} passed, 0 failed, 1 skipped`,
      ]);
      const got = Object.fromEntries(defects.map((d, i) => [d, { code: runs[i]!.code, out: runs[i]!.out.trimEnd().split('\n') }]));
      const want = Object.fromEntries(
        defects.map((d) => {
          const fail = EXPECTED_FAIL[d];
          const line = typeof fail === 'string' ? `FAIL ${VARLINK_DEFECTS[d]}: ${fail}` : expect.stringMatching(new RegExp(`^FAIL ${VARLINK_DEFECTS[d]}: ${fail.source.slice(1)}`));
          return [d, { code: 1, out: [line, '0 passed, 1 failed, 0 skipped'] }];
        }),
      );
      expect(got).toEqual(want);
    } finally {
      await Promise.all(services.map((s) => s.close()));
    }
  });

  it('--skip without --varlink is a usage error', async () => {
    const { code, err } = await runInProcess(['conformance', '--vectors', '--skip', 'x']);
    expect(code).toBe(2);
    expect(err).toContain('--skip needs --varlink');
  });
});
