// A client that pipelines many large calls and reads nothing for a while: the server (a child process)
// stops reading instead of buffering every reply, so the client's own writes back up; once the client
// reads, every reply arrives intact and in order.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { connect } from '../../src/transport/unix-socket.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';
import { processRss, startEchoChild } from './echo-child.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('slow-reader');
});
afterAll(() => tmp.remove());

it('200 pipelined 256 KiB echoes to a client that does not read: bounded server, all replies in order', async () => {
  const baseline = openFds();
  const server = await startEchoChild(tmp.path('echo.sock'));
  try {
    const socket = await connect(server.socketPath);
    const client = new JsonRpcPeer(socket);
    await client.request('echo', ['warm up']);
    const rssBefore = processRss(server.pid);

    socket.pause();
    const total = 200;
    const size = 256 * 1024;
    const order: number[] = [];
    const calls = Array.from({ length: total }, (_, i) => {
      const pad = String.fromCharCode(97 + (i % 26)).repeat(size);
      return client.request<{ i: number; pad: string }>('echo', { i, pad }).then(({ result }) => {
        order.push(result.i);
        return result.pad === pad;
      });
    });
    const queued = total * size;
    // Wait until the server stopped taking our bytes: our queue no longer shrinks.
    let last = -1;
    while (socket.writableLength !== last) {
      last = socket.writableLength;
      await sleep(150);
    }
    // The server took at most its high-water mark of replies (8 MiB) plus socket buffers and a read or
    // two (about 9 MiB here), far from the 50 MiB we queued; buffering them all would cost it well
    // over 100 MB (request bytes, parsed strings, reply bytes).
    expect(socket.writableLength).toBeGreaterThan(queued - 16 * 1024 * 1024);
    expect(processRss(server.pid) - rssBefore).toBeLessThan(80 * 1024 * 1024);
    expect(server.child.exitCode).toBeNull();
    expect(order).toEqual([]);

    socket.resume();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: total }, () => true));
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(socket.writableLength).toBe(0);
    expect((await client.request('echo', ['still serving'])).result).toEqual(['still serving']);
    await client.close();
  } finally {
    expect(await server.stop()).toBe(0);
  }
  await expectNoNewFds(baseline);
}, 60_000);
