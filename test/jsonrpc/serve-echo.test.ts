import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PIPE_TEXT } from '../../src/conformance/echo-service.js';
import { readFdText } from '../../src/transport/read-fd.js';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { Fd } from '../../src/transport/fd.js';
import { runInProcess, startServeEcho, type ServerChild } from '../support/cli-child.js';
import { expectFdCount, openFdCount } from '../support/fd-count.js';
import { inode, textFd } from '../support/fd-files.js';

describe('serve-echo in a child process', () => {
  let dir = '';
  let socketPath = '';
  let server: ServerChild;
  let peer: JsonRpcPeer;
  let baseline = 0;
  let beforeSpawn = 0;
  let exited = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-echo-'));
    socketPath = join(dir, 'echo.sock');
    beforeSpawn = openFdCount();
    server = await startServeEcho(socketPath);
    void server.exit.then(() => (exited = true));
    baseline = openFdCount();
    peer = await connectPeer(socketPath);
  }, 30_000);

  // The connection's socket outlives each test until the last one closes it; the child's stdio pipes
  // go when it exits.
  afterEach(async () => {
    await expectFdCount(exited ? beforeSpawn : peer.closed ? baseline : baseline + 1);
  });

  afterAll(async () => {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('echo returns the params', async () => {
    const { result, fds } = await peer.request('echo', { hello: 'world', n: [1, 2, 3] });
    expect(result).toEqual({ hello: 'world', n: [1, 2, 3] });
    expect(fds).toEqual([]);
  });

  it('echo closes the fds it receives (and answers null for no params)', async () => {
    const sent = textFd('ignored');
    expect((await peer.request('echo', undefined, { fds: [sent] })).result).toBeNull();
    sent.close();
  });

  it('echoFds sends the same files back, in order', async () => {
    const sent = Array.from({ length: 5 }, (_, i) => textFd(`file ${i}`));
    const { result, fds } = await peer.request('echoFds', ['x'], { fds: sent });
    expect(result).toEqual(['x']);
    expect(fds.map(inode)).toEqual(sent.map(inode));
    Fd.closeAll(fds);
    Fd.closeAll(sent);
  });

  it('readFile returns the text behind fds[0]; without an fd it is -32602', async () => {
    const sent = textFd('hello from the test file\n');
    expect((await peer.request('readFile', {}, { fds: [sent] })).result).toBe('hello from the test file\n');
    sent.close();
    await expect(peer.request('readFile', {})).rejects.toMatchObject({ code: -32602 });
  });

  it('createPipe returns a pipe read end holding the text', async () => {
    const { result, fds } = await peer.request('createPipe');
    expect(result).toEqual({ message: 'pipe created' });
    expect(fds).toHaveLength(1);
    expect(await readFdText(fds[0]!.value, { maxBytes: 1024 })).toBe(PIPE_TEXT);
    Fd.closeAll(fds);
  });

  it('answers unknown methods with -32601', async () => {
    await expect(peer.request('nope')).rejects.toMatchObject({ code: -32601 });
  });

  it('exits 0 on SIGTERM and removes its socket file', async () => {
    await peer.close();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});

describe('command line', () => {
  it('lists verbs with --help and exits 0', async () => {
    const { code, out } = await runInProcess(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('serve-echo');
  });

  it('shows verb help', async () => {
    const { code, out } = await runInProcess(['serve-echo', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('--socket PATH');
  });

  it.each([[[]], [['frobnicate']], [['serve-echo']], [['serve-echo', '--socket', 'x', '--bogus']]])(
    'exits 2 on a usage error: %j',
    async (args) => {
      const { code, err } = await runInProcess(args);
      expect(code).toBe(2);
      expect(err).not.toBe('');
    },
  );
});
