// MSG_CTRUNC at the JSON-RPC level: a client process that cannot install the fds of a response (its
// RLIMIT_NOFILE is lowered with prlimit) sees its request fail with a clear error and its connection
// close; it does not crash, and the serving side sees the close and leaks nothing.
import { execFileSync, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { listenPeers } from '../../src/jsonrpc/server.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';
import { within } from './within.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('ctrunc-peer');
});
afterAll(() => tmp.remove());

it('a client out of fds gets a clear rejection and a closed connection; both processes survive', async () => {
  const baseline = openFds();
  const path = tmp.path('ctrunc.sock');
  let answered = 0;
  const server = await listenPeers(path, {
    handlers: {
      many: () => {
        answered++;
        const devNull = openSync('/dev/null', 'r');
        // The same file 100 times, borrowed: closed once the response was written.
        const reply = withFds({ sent: 100 }, new Array<number>(100).fill(devNull), { close: false });
        void reply.sent.then(() => closeSync(devNull));
        return reply;
      },
    },
  });
  const connected = new Promise<JsonRpcPeer>((resolve) => server.onConnection(resolve));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/ctrunc-peer-child.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  try {
    const peer = await connected;
    const ready = JSON.parse(String((await lines.next()).value)) as { ready: boolean; highest: number };
    expect(ready.ready).toBe(true);
    // Room for a few more fds only: installing 100 must fail part-way.
    const limit = ready.highest + 4;
    execFileSync('prlimit', ['--pid', String(child.pid), `--nofile=${limit}:${limit}`]);
    await peer.notify('go');
    const line = await within(lines.next(), 10_000, 'child report');
    const report = JSON.parse(String(line.value)) as Record<string, unknown>;
    expect(report).toMatchObject({
      name: 'ConnectionClosedError',
      message: 'connection closed before "many" was answered',
      causeCode: 'EMSGCTRUNC',
      closed: true,
      closeCode: 'EMSGCTRUNC',
    });
    expect(String(report['causeMessage'])).toMatch(/fds were lost/);
    // Every fd that did arrive was closed (none exists that was not there before), and so was the
    // socket. Compared as sets: node itself may close an internal fd meanwhile.
    const atReady = report['atReady'] as number[];
    const afterClose = report['afterClose'] as number[];
    expect(afterClose.filter((fd) => !atReady.includes(fd))).toEqual([]);
    expect(afterClose.length).toBeLessThan(atReady.length);
    expect(await within(exited, 10_000, 'child exit')).toBe(0);
    expect(answered).toBe(1);
    // Our side of the connection closed too (EOF or reset), without taking the server down.
    await within(peer.whenClosed, 5000, 'server-side close');
    expect(peer.closed).toBe(true);
    expect(server.peers.size).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
  await expectNoNewFds(baseline);
});
