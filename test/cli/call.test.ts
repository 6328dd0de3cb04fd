import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PIPE_TEXT } from '../../src/conformance/echo-service.js';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';
import { Fd } from '../../src/transport/fd.js';
import { pipe } from '../../src/transport/pipe.js';
import { listen } from '../../src/transport/unix-listener.js';
import type { UnixSocket } from '../../src/transport/unix-socket.js';
import { CLI_MAIN, root, runChild, runInProcess, type ServerChild, startServeEcho } from '../support/cli-child.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';

// First in the file: no child process of an earlier test is still closing its pipes while it counts fds.
describe('jsonrpc-fdpass call --save-fds progress', () => {
  /** Chunks the pipe of the response trickles, 100 ms apart: the copy takes about 1.1 s. */
  const CHUNKS = 11;
  const CHUNK = Buffer.alloc(4096, 'p');

  /** A server whose every response carries a pipe that fills slowly, then ends. */
  async function tricklingServer(path: string): Promise<{ close(): Promise<void> }> {
    const listener = await listen(path);
    const sockets: UnixSocket[] = [];
    const timers = new Set<NodeJS.Timeout>();
    void (async () => {
      for await (const socket of listener) {
        sockets.push(socket);
        socket.start({
          data: (bytes, fds) => {
            Fd.closeAll(fds);
            const { id } = JSON.parse(bytes.toString('utf8')) as { id: unknown };
            const [reader, writer] = pipe();
            void socket
              .write(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result: { slow: true }, fds: 1 })), [reader])
              .finally(() => reader.close());
            let sent = 0;
            const timer = setInterval(() => {
              writeSync(writer.value, CHUNK);
              if (++sent === CHUNKS) {
                clearInterval(timer);
                timers.delete(timer);
                writer.close();
              }
            }, 100);
            timers.add(timer);
          },
          end() {},
          error() {},
          close() {},
        });
      }
    })();
    return {
      async close() {
        await listener.close();
        for (const socket of sockets) socket.destroy();
      },
    };
  }

  async function call(args: readonly string[], tty: boolean): Promise<{ code: number; err: string }> {
    const stdout = new PassThrough().resume();
    const stderr = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
    let err = '';
    stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    return { code: await runCli(args, { stdout, stderr }), err };
  }

  it('shows a \\r-rewritten progress line on a terminal stderr, cleared before the fd line; nothing when stderr is not a terminal', async () => {
    const baseline = openFds();
    const dir = mkdtempSync(join(tmpdir(), 'cli-call-progress-'));
    const server = await tricklingServer(join(dir, 'slow.sock'));
    try {
      const [onTerminal, piped] = await Promise.all([
        call(['call', join(dir, 'slow.sock'), 'slowPipe', `--save-fds=${join(dir, 'tty')}`], true),
        call(['call', join(dir, 'slow.sock'), 'slowPipe', `--save-fds=${join(dir, 'piped')}`], false),
      ]);
      expect(onTerminal.code).toBe(0);
      expect(piped.code).toBe(0);
      expect(onTerminal.err).toMatch(/^(\r\x1b\[Ksaving fd-0: \d+(\.\d)? (B|KiB))+\r\x1b\[Kfd 0: pipe pipe:\[\d+\] \(saved to .*fd-0\)\n$/);
      expect(piped.err).toMatch(/^fd 0: pipe pipe:\[\d+\] \(saved to .*fd-0\)\n$/);
      for (const sub of ['tty', 'piped']) expect(readFileSync(join(dir, sub, 'fd-0')).length).toBe(CHUNKS * CHUNK.length);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await expectNoNewFds(baseline);
  });
});

describe('jsonrpc-fdpass call against a serve-echo child process', () => {
  let dir = '';
  let socketPath = '';
  let server: ServerChild;
  let textPath = '';
  let baseline: ReadonlySet<number> = new Set();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-call-'));
    socketPath = join(dir, 'echo.sock');
    textPath = join(dir, 'text.txt');
    writeFileSync(textPath, 'text behind the fd\n');
    server = await startServeEcho(socketPath);
  });

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    baseline = openFds();
  });

  // Every call connects, sends, receives and closes: nothing may stay open in this process.
  afterEach(async () => {
    await expectNoNewFds(baseline);
  });

  it('prints the result as one line of JSON on stdout and exits 0', async () => {
    const { code, out, err } = await runInProcess(['call', socketPath, 'echo', '{"a":[1,2,{"b":null}]}']);
    expect(code).toBe(0);
    expect(out).toBe('{"a":[1,2,{"b":null}]}\n');
    expect(err).toBe('');
  });

  it('--json=pretty indents the result', async () => {
    const { code, out } = await runInProcess(['call', '--json=pretty', socketPath, 'echo', '[1]']);
    expect(code).toBe(0);
    expect(out).toBe('[\n  1\n]\n');
  });

  it('--fd PATH sends the file opened read-only', async () => {
    const { code, out } = await runInProcess(['call', socketPath, 'readFile', '{}', '--fd', textPath]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toBe('text behind the fd\n');
  });

  it('--fd NUM sends an fd the command inherited (real child process)', async () => {
    const fd = openSync(textPath, 'r');
    try {
      const { code, out } = await runChild(['call', socketPath, 'readFile', '--fd', '3'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
      expect(code).toBe(0);
      expect(JSON.parse(out)).toBe('text behind the fd\n');
    } finally {
      closeSync(fd);
    }
  });

  it('describes a received fd on stderr and --save-fds writes its content to DIR/fd-0', async () => {
    const saveDir = join(dir, 'saved');
    const { code, out, err } = await runInProcess(['call', socketPath, 'createPipe', `--save-fds=${saveDir}`]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ message: 'pipe created' });
    expect(err).toMatch(/^fd 0: pipe .* \(saved to .*fd-0\)\n$/);
    expect(readFileSync(join(saveDir, 'fd-0'), 'utf8')).toBe(PIPE_TEXT);
  });

  it('--save-fds DIR that cannot be created is a usage error (exit 2), before anything is called', async () => {
    const saveDir = join(textPath, 'sub');
    const { code, out, err } = await runInProcess(['call', socketPath, 'createPipe', `--save-fds=${saveDir}`]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')[0]).toBe(`jsonrpc-fdpass call: --save-fds ${saveDir}: ENOTDIR: not a directory, mkdir '${saveDir}'`);
  });

  it('--save-fds under /proc exits 2 at once instead of spinning in mkdir (child process)', async () => {
    // node's recursive mkdirSync loops forever on ENOENT below an existing parent, as /proc answers.
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'call', socketPath, 'createPipe', '--save-fds=/proc/no-such-dir'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe("jsonrpc-fdpass call: --save-fds /proc/no-such-dir: ENOENT: no such file or directory, mkdir '/proc/no-such-dir'");
  });

  it('exits 1 with one line when a received fd cannot be saved (DIR/fd-0 is a directory), not 3', async () => {
    const saveDir = join(dir, 'saved-blocked');
    mkdirSync(join(saveDir, 'fd-0'), { recursive: true });
    const { code, out, err } = await runInProcess(['call', socketPath, 'createPipe', `--save-fds=${saveDir}`]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^jsonrpc-fdpass call: cannot save the fd's content to \S+fd-0: EISDIR[^\n]*\n$/);
  });

  it('--envelope puts the result and the received fds on stdout as one JSON object', async () => {
    const saveDir = join(dir, 'saved-envelope');
    const { code, out, err } = await runInProcess([
      'call', '--envelope', `--save-fds=${saveDir}`, socketPath, 'echoFds', '["x"]', '--fd', textPath, '--fd', '/dev/null',
    ]);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(JSON.parse(out)).toEqual({
      result: ['x'],
      fds: [
        { index: 0, type: 'file', target: textPath, readable: true, saved: join(saveDir, 'fd-0') },
        { index: 1, type: 'char-device', target: '/dev/null', readable: true },
      ],
    });
    expect(readFileSync(join(saveDir, 'fd-0'), 'utf8')).toBe('text behind the fd\n');
  });

  it('exits 1 with the JSON-RPC error as JSON on stderr for an unknown method (real child process)', async () => {
    const { code, out, err } = await runChild(['call', socketPath, 'no.such.method']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(JSON.parse(err)).toEqual({ code: -32601, message: 'Method not found: no.such.method' });
  });

  it('--notify sends without waiting for a response and prints nothing', async () => {
    const { code, out, err } = await runInProcess(['call', '--notify', socketPath, 'echo', '{}', '--fd', textPath]);
    expect(code).toBe(0);
    expect(out + err).toBe('');
  });

  it('exits 3 when nothing listens on the socket', async () => {
    const { code, out, err } = await runInProcess(['call', join(dir, 'nobody.sock'), 'echo']);
    expect(code).toBe(3);
    expect(out).toBe('');
    expect(err).toContain('ENOENT');
  });

  it.each([
    [['call', 'sock'], 'SOCKET and METHOD'],
    [['call', 'sock', 'echo', '42'], 'object or array'],
    [['call', 'sock', 'echo', '{nope'], 'not JSON'],
    [['call', '--json=xml', 'sock', 'echo'], '--json'],
    [['call', '--timeout', '-5', 'sock', 'echo'], '--timeout'],
    // Beyond a timer's range: node's RangeError used to exit 1 with its message about "delay".
    [['call', '--timeout', '99999999999', 'sock', 'echo'], '--timeout must be a positive integer of at most 2147483647'],
    [['call', '--timeout=2147483648', 'sock', 'echo'], '--timeout must be a positive integer of at most 2147483647'],
    [['call', 'sock', 'echo', '--fd', '/nonexistent/file'], '--fd /nonexistent/file'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const { code, out, err } = await runInProcess(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });
});

describe('jsonrpc-fdpass call --save-fds of a pipe that never ends', () => {
  /** What /proc/self/fd/N points to; '' once N is gone (readdir's own fd). */
  const readlinkSafe = (path: string): string => {
    try {
      return readlinkSync(path);
    } catch {
      return '';
    }
  };

  it('exits 4 once --timeout elapsed while saving, not 3', async () => {
    const baseline = openFds();
    const dir = mkdtempSync(join(tmpdir(), 'cli-call-endless-'));
    const listener = await listen(join(dir, 'endless.sock'));
    const accepted: UnixSocket[] = [];
    const writers: Fd[] = [];
    // Answers every request with a pipe whose writing end it keeps open (and silent).
    void (async () => {
      for await (const socket of listener) {
        accepted.push(socket);
        socket.start({
          data: (bytes, fds) => {
            Fd.closeAll(fds);
            const { id } = JSON.parse(bytes.toString('utf8')) as { id: unknown };
            const [reader, writer] = pipe();
            writers.push(writer);
            void socket.write(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result: null, fds: 1 })), [reader]).finally(() => reader.close());
          },
          end() {},
          error() {},
          close() {},
        });
      }
    })();
    try {
      const { code, out, err } = await runInProcess(['call', '--timeout', '300', join(dir, 'endless.sock'), 'x', `--save-fds=${join(dir, 'saved')}`]);
      expect(err).toMatch(/^jsonrpc-fdpass call: timed out[^\n]*\n$/);
      expect(code).toBe(4);
      expect(out).toBe('');
      // The read of the silent pipe still blocks in the thread pool: the received fd stays open under it
      // (closing it would free its number for reuse while that read may not have started yet).
      const pipeLink = readlinkSync(`/proc/self/fd/${writers[0]!.value}`);
      expect(readdirSync('/proc/self/fd').filter((n) => readlinkSafe(`/proc/self/fd/${n}`) === pipeLink)).toHaveLength(2);
    } finally {
      Fd.closeAll(writers);
      await listener.close();
      for (const socket of accepted) socket.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
    await expectNoNewFds(baseline);
  });
});

describe('jsonrpc-fdpass call against a server that never answers', () => {
  it('exits 4 once --timeout elapsed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-call-silent-'));
    const listener = await listen(join(dir, 'silent.sock'));
    const accepted: UnixSocket[] = [];
    // Reads and ignores everything.
    void (async () => {
      for await (const socket of listener) {
        accepted.push(socket);
        socket.start({ data: (_bytes, fds) => fds.forEach((fd) => fd.close()), end() {}, error() {}, close() {} });
      }
    })();
    try {
      const started = Date.now();
      const { code, out, err } = await runInProcess(['call', '--timeout', '300', join(dir, 'silent.sock'), 'echo', '[]']);
      expect(code).toBe(4);
      expect(out).toBe('');
      expect(err).toContain('timed out');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(accepted).toHaveLength(1);
    } finally {
      await listener.close();
      for (const socket of accepted) socket.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
