import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { listenPeers, type JsonRpcServer } from '../../src/jsonrpc/server.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { connect } from '../../src/transport/unix-socket.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { fdText, inode, textFd } from '../support/fd-files.js';

let dir = '';
let socketPath = '';
let baseline: ReadonlySet<number> = new Set();
const cleanup: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jsonrpc-server-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  socketPath = join(dir, `s${Math.random().toString(36).slice(2)}.sock`);
  baseline = openFds();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await expectNoNewFds(baseline);
});

async function serve(options: Parameters<typeof listenPeers>[1] = {}): Promise<JsonRpcServer> {
  const server = await listenPeers(socketPath, {
    ...options,
    handlers: {
      echo: (params) => params,
      echoFds: (params, ctx) => withFds(params, ctx.fds),
      read: (_params, ctx) => ctx.fds.map((fd) => fdText(fd)),
      ...options.handlers,
    },
  });
  cleanup.push(() => server.close({ signal: AbortSignal.timeout(2000) }));
  return server;
}

async function client(): Promise<JsonRpcPeer> {
  const peer = await connectPeer(socketPath);
  cleanup.push(() => peer.destroy());
  return peer;
}

describe('listenPeers over a real Unix socket', () => {
  it('refuses bad peer or channel options when it starts, not on every connection', async () => {
    for (const options of [{ maxMessageBytes: Number.NaN }, { highWaterMark: '1' as unknown as number }, { handlers: { m: 5 as unknown as () => null } }]) {
      await expect(listenPeers(socketPath, options)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(OUT_OF_RANGE|INVALID_ARG_TYPE)$/) });
      expect(existsSync(socketPath)).toBe(false);
    }
  });


  it('applies maxFdsPerSend to accepted connections: 5 fds go out in sendmsg batches of 2', async () => {
    await serve({ maxFdsPerSend: 2 });
    const raw = await connect(socketPath);
    cleanup.push(() => raw.destroy());
    const batches: number[] = [];
    let text = '';
    const done = new Promise<void>((resolve) => {
      raw.start({
        data: (bytes, fds) => {
          text += bytes.toString('utf8');
          if (fds.length > 0) batches.push(fds.length);
          Fd.closeAll(fds);
          if (batches.reduce((a, b) => a + b, 0) === 5) resolve();
        },
        end: () => {},
        error: () => {},
        close: () => {},
      });
    });
    const sent = ['a', 'b', 'c', 'd', 'e'].map((t) => textFd(t));
    await raw.write(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"echoFds","params":[],"fds":5}'), sent);
    Fd.closeAll(sent);
    await done;
    expect(batches).toEqual([2, 2, 1]);
    expect(JSON.parse(text.trim())).toEqual({ jsonrpc: '2.0', id: 1, result: [], fds: 5 });
  });

  it('serves calls with fds in both directions and reports peer credentials', async () => {
    const server = await serve();
    const peer = await client();
    expect((await peer.request('echo', { hello: 'world' })).result).toEqual({ hello: 'world' });
    const sent = [textFd('first'), textFd('second')];
    expect((await peer.request('read', [], { fds: sent })).result).toEqual(['first', 'second']);
    const { fds } = await peer.request('echoFds', [], { fds: sent });
    expect(fds.map(inode)).toEqual(sent.map(inode));
    Fd.closeAll(fds);
    Fd.closeAll(sent);
    expect(peer.peerCredentials()).toMatchObject({ pid: process.pid });
    expect(server.peers.size).toBe(1);
  });

  it('passes 300 fds in one request and back (more than one sendmsg carries)', async () => {
    await serve();
    const peer = await client();
    const sent = Array.from({ length: 300 }, (_, i) => textFd(`fd ${i}`));
    const { fds } = await peer.request('echoFds', { n: 300 }, { fds: sent });
    expect(fds).toHaveLength(300);
    expect(fds.map(inode)).toEqual(sent.map(inode));
    expect(fdText(fds[299]!)).toBe('fd 299');
    Fd.closeAll(fds);
    Fd.closeAll(sent);
  });

  it('runs setup and connection listeners for each peer, and lets the server call the client', async () => {
    const seen: JsonRpcPeer[] = [];
    const server = await serve({ setup: (peer) => peer.handle('hello', () => 'from setup') });
    server.onConnection((peer) => seen.push(peer));
    const peer = await client();
    peer.handle('clientName', () => 'alice');
    expect((await peer.request('hello')).result).toBe('from setup');
    expect(seen).toHaveLength(1);
    expect((await seen[0]!.request('clientName')).result).toBe('alice');
  });

  it('keeps other connections working when one sends garbage', async () => {
    const server = await serve();
    const errors: Error[] = [];
    server.onError((error) => errors.push(error));
    const good = await client();
    const bad = await connect(socketPath);
    cleanup.push(() => bad.destroy());
    // The server answers with its final -32050 error and closes: we see EOF.
    let received = '';
    const badEnded = new Promise<void>((resolve) =>
      bad.start({ data: (bytes) => (received += bytes.toString()), end: resolve, error: () => {}, close: resolve }),
    );
    await bad.write(Buffer.from('{"jsonrpc":"2.0","method":"echo","id":1,"fds":-1}'));
    await badEnded;
    expect(JSON.parse(received)).toMatchObject({ id: null, error: { code: -32050 } });
    expect((await good.request('echo', [1])).result).toEqual([1]);
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ code: -32050 });
    expect(server.peers.size).toBe(1);
  });

  it('finishes in-flight calls on close, stops accepting and removes the socket file', async () => {
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (started = resolve));
    const server = await serve({
      handlers: {
        slow: async () => {
          started();
          await gate;
          return 'finished';
        },
      },
    });
    const peer = await client();
    const call = peer.request('slow');
    await running;
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(socketPath)).toBe(false);
    await expect(connect(socketPath)).rejects.toMatchObject({ code: expect.stringMatching(/ENOENT|ECONNREFUSED/) });
    release();
    expect((await call).result).toBe('finished');
    await closing;
    await peer.whenClosed;
    await expect(peer.request('echo')).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});
