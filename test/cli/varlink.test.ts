import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFdText } from '../../src/transport/read-fd.js';
import { textPipe } from '../../src/conformance/text-pipe.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { pipe } from '../../src/transport/pipe.js';
import { listen } from '../../src/transport/unix-listener.js';
import type { UnixSocket } from '../../src/transport/unix-socket.js';
import { parseInterface } from '../../src/varlink/idl/parse-interface.js';
import type { VarlinkServer } from '../../src/varlink/varlink-server.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { root, runChild, runInProcess, type ServerChild, startChild } from '../support/cli-child.js';
import { expectNoNewFds, openFdCount, openFds } from '../support/fd-count.js';

const GO_CERT = '/usr/bin/varlink-go-certification';
const CERT = 'org.varlink.certification';
const CERT_IDL = readFileSync(join(root, 'examples/varlink-certification/org.varlink.certification.varlink'), 'utf8');
const FIXTURES = join(root, 'test/fixtures/varlink');

function requireGoCertification(): void {
  if (!existsSync(GO_CERT)) throw new Error(`${GO_CERT} is missing: install Debian package varlink-go`);
}

let dir = '';
let ours: ServerChild;
let go: ChildProcess;
let ourAddress = '';
let goAddress = '';

beforeAll(async () => {
  requireGoCertification();
  dir = mkdtempSync(join(tmpdir(), 'cli-varlink-'));
  ourAddress = `unix:${join(dir, 'ours.sock')}`;
  goAddress = `unix:${join(dir, 'go.sock')}`;
  go = spawn(GO_CERT, [`--varlink=${goAddress}`], { stdio: 'ignore' });
  ours = await startChild('examples/varlink-certification/server.ts', [ourAddress], `listening on ${ourAddress}`);
  for (let i = 0; i < 300 && !existsSync(join(dir, 'go.sock')); i++) await sleep(10);
});

afterAll(async () => {
  go?.kill('SIGKILL');
  await ours?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('varlink info, list-interfaces and introspect', () => {
  it('info prints GetInfo of our certification server as one JSON line', async () => {
    const { code, out, err } = await runInProcess(['varlink', 'info', ourAddress]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toMatchObject({ vendor: 'jsonrpc-fdpass', interfaces: ['org.varlink.service', CERT] });
  });

  it('info against varlink-go, run as a child process, with --json=pretty', async () => {
    const { code, out } = await runChild(['varlink', 'info', '--json=pretty', goAddress]);
    expect(code).toBe(0);
    expect(out).toContain('\n  "vendor": "Varlink",\n');
    expect(JSON.parse(out)).toMatchObject({ url: 'https://github.com/varlink/go', interfaces: expect.arrayContaining([CERT]) });
  });

  it('exits 1 with one line, not a stack trace, when stdout has no reader (EPIPE, as after `| head`)', async () => {
    const [reader, writer] = pipe();
    reader.close(); // every write to the pipe now fails with EPIPE
    try {
      const { code, out, err } = await runChild(['varlink', 'info', ourAddress], { stdio: ['ignore', writer.value, 'pipe'] });
      expect(out).toBe('');
      expect(err).toBe('jsonrpc-fdpass: cannot write to stdout: EPIPE\n');
      expect(code).toBe(1);
    } finally {
      writer.close();
    }
  });

  it('list-interfaces prints one name per line, or a JSON array with --json', async () => {
    for (const address of [ourAddress, goAddress]) {
      const lines = await runInProcess(['varlink', 'list-interfaces', address]);
      expect(lines.code).toBe(0);
      expect(lines.out).toBe(`org.varlink.service\n${CERT}\n`);
      const json = await runInProcess(['varlink', 'list-interfaces', '--json=short', address]);
      expect(json.out).toBe(`["org.varlink.service","${CERT}"]\n`);
    }
  });

  it('introspect without INTERFACE prints every description, each of which parses, separated by a blank line', async () => {
    const { code, out } = await runInProcess(['varlink', 'introspect', goAddress]);
    expect(code).toBe(0);
    const service = await runInProcess(['varlink', 'introspect', goAddress, 'org.varlink.service']);
    const cert = await runInProcess(['varlink', 'introspect', goAddress, CERT]);
    expect(parseInterface(service.out).name).toBe('org.varlink.service');
    expect(parseInterface(cert.out).name).toBe(CERT);
    expect(out).toBe(`${service.out}\n${cert.out}`);
  });

  it('introspect INTERFACE prints the IDL text the service was given, verbatim', async () => {
    const { code, out } = await runInProcess(['varlink', 'introspect', ourAddress, CERT]);
    expect(code).toBe(0);
    expect(out).toBe(CERT_IDL.endsWith('\n') ? CERT_IDL : `${CERT_IDL}\n`);
  });

  it('introspect of an unknown interface exits 1 with the error reply as JSON on stderr', async () => {
    const { code, out, err } = await runInProcess(['varlink', 'introspect', ourAddress, 'com.example.absent']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(JSON.parse(err)).toEqual({ error: 'org.varlink.service.InterfaceNotFound', parameters: { interface: 'com.example.absent' } });
  });

  it('reaches an exec: address (the certification example started per connection)', async () => {
    const script = join(dir, 'cert-service.sh');
    writeFileSync(script, `#!/bin/sh\ncd '${root}' && exec '${process.execPath}' --import tsx examples/varlink-certification/server.ts\n`);
    chmodSync(script, 0o755);
    const { code, out, err } = await runInProcess(['varlink', 'list-interfaces', `exec:${script}`]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(`org.varlink.service\n${CERT}\n`);
  });

  it('keeps the stdout of an exec: service out of the JSON it prints (the service text goes to stderr)', async () => {
    const script = join(dir, 'chatty-service.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho 'chatty service says hello'\ncd '${root}' && exec '${process.execPath}' --import tsx examples/varlink-certification/server.ts\n`,
    );
    chmodSync(script, 0o755);
    const { code, out, err } = await runChild(['varlink', 'info', `exec:${script}`]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ interfaces: ['org.varlink.service', CERT] });
    expect(err).toContain('chatty service says hello');
  });
});

describe('varlink call against the certification servers', () => {
  /** Runs the whole certification through the CLI, one process-less invocation per step. */
  async function certify(address: string): Promise<void> {
    const call = async (method: string, params: object, ...flags: string[]): Promise<string> => {
      const { code, out, err } = await runInProcess(['varlink', 'call', ...flags, address, `${CERT}.${method}`, JSON.stringify(params)]);
      expect(err).toBe('');
      expect(code).toBe(0);
      return out;
    };
    const id = { client_id: JSON.parse(await call('Start', {})).client_id as string };
    const steps: [string, object][] = [
      ['Test01', {}],
      ['Test02', { bool: true }],
      ['Test03', { int: 1 }],
      ['Test04', { float: 1.0 }],
      ['Test05', { string: 'ping' }],
    ];
    let last: unknown;
    for (const [method, params] of steps) last = JSON.parse(await call(method, { ...id, ...params }));
    for (const method of ['Test06', 'Test07', 'Test08', 'Test09']) {
      last = JSON.parse(await call(method, { ...id, ...(last as object) }));
    }
    // --more with --json=seq: ten RFC 7464 records, in order.
    const seq = await call('Test10', { ...id, ...(last as object) }, '--more', '--json=seq');
    const records = seq.split('\x1e').slice(1);
    expect(records).toHaveLength(10);
    const strings = records.map((r) => (JSON.parse(r) as { string: string }).string);
    expect(strings).toEqual(Array.from({ length: 10 }, (_, i) => `Reply number ${i + 1}`));
    // --oneway prints nothing; End only says all_ok when Test11 arrived as a oneway call.
    expect(await call('Test11', { ...id, last_more_replies: strings }, '--oneway')).toBe('');
    expect(JSON.parse(await call('End', id))).toEqual({ all_ok: true });
  }

  it('runs Start…End against our server: --more prints each reply, --oneway is delivered', async () => {
    await certify(ourAddress);
  });

  it('runs Start…End against varlink-go', async () => {
    await certify(goAddress);
  });

  it('--more without --json=seq prints one reply per line', async () => {
    const { code, out } = await runInProcess(['varlink', 'call', '--more', goAddress, 'org.varlink.service.GetInfo']);
    expect(code).toBe(0);
    expect(out.split('\n')).toHaveLength(2);
  });

  it('an error reply exits 1 and prints {"error", "parameters"} on stderr, nothing on stdout', async () => {
    const { code, out, err } = await runInProcess(['varlink', 'call', goAddress, `${CERT}.Test01`, '{"client_id":"unknown"}']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(JSON.parse(err)).toEqual({ error: `${CERT}.ClientIdError`, parameters: {} });
  });

  it.each([
    [['varlink', 'call', 'unix:/x', 'NoDots'], 'qualified method name'],
    [['varlink', 'call', 'unix:/x', 'a.b.C', '[1]'], 'must be a JSON object'],
    [['varlink', 'call', 'unix:/x', 'a.b.C', '{'], 'not JSON'],
    [['varlink', 'call', 'nowhere', 'a.b.C'], 'no scheme'],
    [['varlink', 'call', '--more', '--oneway', 'unix:/x', 'a.b.C'], 'exclude each other'],
    [['varlink', 'call', '--push-fd=/nonexistent/file', 'unix:/x', 'a.b.C'], '--push-fd'],
    [['varlink', 'info'], 'ADDRESS is required'],
    [['varlink', 'call', '--timeout=abc', 'unix:/x', 'a.b.C'], '--timeout must be a positive integer'],
    [['varlink', 'call', '--timeout=99999999999', 'unix:/x', 'a.b.C'], '--timeout must be a positive integer of at most 2147483647'],
    [['varlink', 'info', '--timeout=2147483648', 'unix:/x'], '--timeout must be a positive integer of at most 2147483647'],
    [['varlink', 'frobnicate'], 'unknown subcommand'],
  ])('usage error %j exits 2', async (args, message) => {
    const { code, out, err } = await runInProcess(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });

  it('exits 3 when nothing listens at the address', async () => {
    const { code, err } = await runInProcess(['varlink', 'info', `unix:${join(dir, 'absent.sock')}`]);
    expect(code).toBe(3);
    expect(err).toContain('ENOENT');
  });

  it('exits 4 once --timeout elapsed on a service that never answers', async () => {
    const path = join(dir, 'silent.sock');
    const listener = await listen(path);
    const accepted: UnixSocket[] = [];
    void (async () => {
      for await (const socket of listener) {
        accepted.push(socket);
        socket.start({ data: (_b, fds) => Fd.closeAll(fds), end() {}, error() {}, close() {} });
      }
    })();
    try {
      const started = Date.now();
      const { code, out, err } = await runInProcess(['varlink', 'call', '--timeout=300', `unix:${path}`, 'org.example.x.Y']);
      expect(code).toBe(4);
      expect(out).toBe('');
      expect(err).toContain('timed out');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await listener.close();
      for (const socket of accepted) socket.destroy();
    }
  });

  it('--help shows the varlink usage with the exit codes', async () => {
    const { code, out } = await runInProcess(['varlink', 'call', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('--push-fd=PATH|NUM');
    expect(out).toContain('4  timeout');
  });
});

const FD_IDL = `interface org.example.fds

method ReadFds(fds: []int) -> (texts: []string)

method MakePipes(texts: []string) -> (fds: []int)

method Raw() -> ()

# Upgrades with an fd in the confirming reply (one the test opened), then reads and drops what comes.
method RawFd() -> (fd: int)

method Big(size: int) -> (text: string)

# A pipe whose writing end the test holds open: saving it never ends.
method Endless() -> (fd: int)
`;

describe('varlink call with fds and --upgrade against an in-test service', () => {
  let server: VarlinkServer;
  /** Writing ends of Endless pipes, closed by the test that asked for one. */
  const endless: Fd[] = [];
  /** The fd RawFd sends with its confirming reply: opened and closed by the test that calls it. */
  let rawFdToSend = -1;
  let address = '';
  let textPath = '';
  let baseline: ReadonlySet<number> = new Set();

  beforeAll(async () => {
    textPath = join(dir, 'text.txt');
    writeFileSync(textPath, 'text behind the fd\n');
    const service = new VarlinkService({ vendor: 'test', product: 'fds', version: '1', url: 'https://example.com' });
    service.addInterface(FD_IDL, {
      ReadFds: async (params, ctx) => ({
        texts: await Promise.all((params['fds'] as number[]).map((i) => readFdText(ctx.fds[i]!.value, { maxBytes: 1 << 20 }))),
      }),
      RawFd: (_params, ctx) => {
        const { transport, pending } = ctx.upgrade!({ fd: 0 }, [rawFdToSend]);
        for (const chunk of pending) Fd.closeAll(chunk.fds);
        transport.start({
          data: (_bytes, fds) => Fd.closeAll(fds),
          end: () => transport.destroy(),
          error: () => undefined,
          close: () => undefined,
        });
      },
      Big: (params) => ({ text: 'b'.repeat(params['size'] as number) }),
      Endless: () => {
        const [reader, writer] = pipe();
        endless.push(writer);
        return withFds({ fd: 0 }, [reader]);
      },
      MakePipes: (params) => {
        const texts = params['texts'] as string[];
        return withFds({ fds: texts.map((_, i) => i) }, texts.map((t) => textPipe(t)));
      },
      // Echoes raw bytes after the upgrade until the client half-closes, then closes its side.
      Raw: (_params, ctx) => {
        const { transport, pending } = ctx.upgrade!({});
        for (const chunk of pending) {
          Fd.closeAll(chunk.fds);
          void transport.write(chunk.bytes).catch(() => undefined);
        }
        transport.start({
          data: (bytes, fds) => {
            Fd.closeAll(fds);
            if (bytes.length > 0) void transport.write(Buffer.from(bytes.toString('latin1').toUpperCase(), 'latin1')).catch(() => undefined);
          },
          end: () => void transport.end().catch(() => undefined),
          error: () => undefined,
          close: () => undefined,
        });
      },
    });
    address = `unix:${join(dir, 'fds.sock')}`;
    server = await service.listen(address, { fds: true });
  });

  afterAll(async () => {
    await server.close();
  });

  // Service-side sockets of the previous test close a few ticks after its client: wait until still.
  beforeEach(async () => {
    let count = openFdCount();
    for (let i = 0; i < 50; i++) {
      await sleep(20);
      const now = openFdCount();
      if (now === count) break;
      count = now;
    }
    baseline = openFds();
  });

  // The CLI runs in this process for these: every fd it opened or received must be closed again.
  afterEach(async () => {
    await expectNoNewFds(baseline);
  });

  it('--push-fd PATH sends the file opened read-only; PARAMS_JSON refers to it by index', async () => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'second');
    const { code, out, err } = await runInProcess([
      'varlink', 'call', `--push-fd=${textPath}`, `--push-fd=${other}`, address, 'org.example.fds.ReadFds', '{"fds":[1,0]}',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ texts: ['second', 'text behind the fd\n'] });
  });

  it('--push-fd NUM sends an fd the command inherited (real child process)', async () => {
    const fd = openSync(textPath, 'r');
    try {
      const { code, out } = await runChild(['varlink', 'call', '--push-fd=3', address, 'org.example.fds.ReadFds', '{"fds":[0]}'], {
        stdio: ['ignore', 'pipe', 'pipe', fd],
      });
      expect(code).toBe(0);
      expect(JSON.parse(out)).toEqual({ texts: ['text behind the fd\n'] });
    } finally {
      closeSync(fd);
    }
  });

  it('describes received fds on stderr and --save-fds writes their content to DIR/fd-INDEX', async () => {
    const saveDir = join(dir, 'saved');
    const { code, out, err } = await runInProcess([
      'varlink', 'call', `--save-fds=${saveDir}`, address, 'org.example.fds.MakePipes', '{"texts":["one","two"]}',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ fds: [0, 1] });
    const lines = err.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^fd 0: pipe pipe:\\[\\d+\\] \\(saved to ${saveDir}/fd-0\\)$`));
    expect(lines[1]).toMatch(/^fd 1: pipe pipe:\[\d+\] /);
    expect(readdirSync(saveDir).sort()).toEqual(['fd-0', 'fd-1']);
    expect(readFileSync(join(saveDir, 'fd-0'), 'utf8')).toBe('one');
    expect(readFileSync(join(saveDir, 'fd-1'), 'utf8')).toBe('two');
  });

  it('--save-fds DIR that cannot be created is a usage error (exit 2), before anything is called', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const saveDir = join(file, 'sub');
    const { code, out, err } = await runInProcess([
      'varlink', 'call', `--save-fds=${saveDir}`, address, 'org.example.fds.MakePipes', '{"texts":["x"]}',
    ]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toBe(`jsonrpc-fdpass varlink: --save-fds ${saveDir}: ENOTDIR: not a directory, mkdir '${saveDir}'`);
  });

  it('--save-fds under /proc exits 2 at once instead of spinning in mkdir (child process)', async () => {
    // node's recursive mkdirSync loops forever on ENOENT below an existing parent, as /proc answers.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'varlink', 'call', '--save-fds=/proc/no-such-dir', address, 'org.example.fds.MakePipes', '{"texts":["x"]}'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe("jsonrpc-fdpass varlink: --save-fds /proc/no-such-dir: ENOENT: no such file or directory, mkdir '/proc/no-such-dir'");
  });

  it('exits 1 with one line when a received fd cannot be saved (DIR/fd-0 is a directory), not 3', async () => {
    const saveDir = join(dir, 'saved-blocked');
    mkdirSync(join(saveDir, 'fd-0'), { recursive: true });
    const { code, out, err } = await runInProcess([
      'varlink', 'call', `--save-fds=${saveDir}`, address, 'org.example.fds.MakePipes', '{"texts":["x"]}',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({ fds: [0] });
    expect(err).toMatch(/^jsonrpc-fdpass varlink call: cannot save the fd's content to \S+fd-0: EISDIR[^\n]*\n$/);
  });

  it('exits 4 when --timeout elapses while saving a pipe that never ends, not 3', async () => {
    const saveDir = join(dir, 'saved-endless');
    try {
      const { code, err } = await runInProcess([
        'varlink', 'call', '--timeout=300', `--save-fds=${saveDir}`, address, 'org.example.fds.Endless',
      ]);
      expect(err).toBe('jsonrpc-fdpass varlink call: timed out\n');
      expect(code).toBe(4);
    } finally {
      Fd.closeAll(endless.splice(0));
    }
  });

  it('writes all of a reply larger than the stdout pipe holds before exiting (child process, slow reader)', async () => {
    const size = 4 << 20;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'varlink', 'call', address, 'org.example.fds.Big', `{"size":${size}}`], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Not reading yet: a process.exit() with writes still queued would drop them and exit 0 here.
    child.stdout.pause();
    await Promise.race([exited, sleep(1500)]);
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.stdout.resume();
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(bytes).toBe(`{"text":""}\n`.length + size);
  });

  it('without --save-fds received fds are only described, then closed', async () => {
    const { code, err } = await runInProcess(['varlink', 'call', address, 'org.example.fds.MakePipes', '{"texts":["x"]}']);
    expect(code).toBe(0);
    expect(err).toMatch(/^fd 0: pipe pipe:\[\d+\]\n$/);
  });

  it('--upgrade proxies stdin to the socket and the socket to stdout, half-closing on EOF (child process)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'varlink', 'call', '--upgrade', address, 'org.example.fds.Raw'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exit = new Promise<number | null>((resolve) => child.once('close', resolve));
    child.stdin.write('hello ');
    await sleep(100);
    child.stdin.end('raw world\n');
    expect(await exit).toBe(0);
    expect(out).toBe('HELLO RAW WORLD\n');
    // The confirming reply goes to stderr: stdout belongs to the new protocol.
    expect(err).toBe('{}\n');
  });

  it('--upgrade closes the upgraded connection when a received fd cannot be saved (exit 1)', async () => {
    const saveDir = join(dir, 'saved-upgrade-blocked');
    mkdirSync(join(saveDir, 'fd-0'), { recursive: true });
    rawFdToSend = openSync(textPath, 'r');
    try {
      const { code, out, err } = await runInProcess([
        'varlink', 'call', '--upgrade', `--save-fds=${saveDir}`, address, 'org.example.fds.RawFd',
      ]);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toMatch(/^\{"fd":0\}\njsonrpc-fdpass varlink call: cannot save the fd's content to \S+fd-0: EISDIR[^\n]*\n$/);
    } finally {
      closeSync(rawFdToSend);
    }
    // afterEach: the upgraded socket (ours and the service's) is closed, not left to the process exit.
  });

  it('--upgrade on a method that refuses exits 1 with the error', async () => {
    const { code, err } = await runInProcess(['varlink', 'call', '--upgrade', address, 'org.example.fds.Absent']);
    expect(code).toBe(1);
    expect(JSON.parse(err)).toMatchObject({ error: 'org.varlink.service.MethodNotFound' });
  });
});

describe('varlink validate-idl and format', () => {
  const valid = readdirSync(FIXTURES).filter((f) => f.endsWith('.varlink'));
  const invalid = readdirSync(join(FIXTURES, 'invalid')).filter((f) => f.endsWith('.varlink'));

  it('validate-idl exits 0 and prints nothing for every valid fixture', async () => {
    const { code, out, err } = await runInProcess(['varlink', 'validate-idl', ...valid.map((f) => join(FIXTURES, f))]);
    expect(err).toBe('');
    expect(out).toBe('');
    expect(code).toBe(0);
  });

  it.each(invalid)('validate-idl rejects invalid/%s with FILE:LINE:COLUMN on stderr', async (name) => {
    const path = join(FIXTURES, 'invalid', name);
    const at = /^# error-at: (\d+:\d+)$/m.exec(readFileSync(path, 'utf8'))![1]!;
    const { code, out, err } = await runInProcess(['varlink', 'validate-idl', path]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}:${at}: .+\n$`));
  });

  it.each(valid)('format %s is canonical: formatting its output again changes nothing', async (name) => {
    const first = await runInProcess(['varlink', 'format', join(FIXTURES, name)]);
    expect(first.code).toBe(0);
    const again = join(dir, `formatted-${name}`);
    writeFileSync(again, first.out);
    const second = await runInProcess(['varlink', 'format', again]);
    expect(second.code).toBe(0);
    expect(second.out).toBe(first.out);
    expect(parseInterface(first.out).name).toBe(parseInterface(readFileSync(join(FIXTURES, name), 'utf8')).name);
  });

  it('format of an invalid file exits 1 with the position, nothing on stdout', async () => {
    const path = join(FIXTURES, 'invalid', 'trailing-comma.varlink');
    const { code, out, err } = await runInProcess(['varlink', 'format', path]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain(`${path}:4:24: `);
  });
});
