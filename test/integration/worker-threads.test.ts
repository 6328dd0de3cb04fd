// worker_threads at the JSON-RPC level: a worker running a client, or a server, is terminated with
// requests in flight and fds pending; the main thread does not crash, sees the connection close, and
// the process (whose fd table the worker shares) ends with the fds it had before.
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { listenPeers } from '../../src/jsonrpc/server.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { connect } from '../../src/transport/unix-socket.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { textFd } from '../support/fd-files.js';
import { tempDir } from '../support/temp-dir.js';
import { within } from './within.js';

let tmp: ReturnType<typeof tempDir>;
let n = 0;
beforeAll(() => {
  tmp = tempDir('worker-peers');
});
afterAll(() => tmp.remove());

/** Starts a fixture in a worker (workers do not inherit loader hooks: load it through tsx's API). */
async function startWorker(fixture: string, workerData: unknown): Promise<{ worker: Worker; exited: Promise<number> }> {
  const url = pathToFileURL(join(import.meta.dirname, 'fixtures', fixture)).href;
  const source = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  const worker = new Worker(source, { eval: true, workerData });
  const exited = new Promise<number>((resolve, reject) => {
    worker.once('exit', resolve);
    worker.once('error', reject);
  });
  await within(
    new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    }),
    10_000,
    `${fixture} ready`,
  );
  return { worker, exited };
}

it('terminating a worker whose client has requests with fds in flight: the server sees the close, no leak', async () => {
  // Once, so that lazily opened worker machinery is in the baseline.
  await (await startWorker('worker-peer-server.ts', { path: tmp.path(`w${n++}.sock`) })).worker.terminate();
  const baseline = openFds();
  for (let round = 0; round < 2; round++) {
    const aborted: boolean[] = [];
    const server = await listenPeers(tmp.path(`w${n++}.sock`), {
      handlers: {
        hold: (_params, ctx) =>
          new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(aborted.push(true)), { once: true })),
        give: () => withFds('late', [textFd('late')]),
        ping: () => 'pong',
      },
    });
    const connected = new Promise<JsonRpcPeer>((resolve) => server.onConnection(resolve));
    const lent = [textFd('lent 1'), textFd('lent 2')];
    const { worker, exited } = await startWorker('worker-peer-client.ts', { path: tmp.path(`w${n - 1}.sock`), fds: lent.map((fd) => fd.value) });
    const peer = await connected;
    await worker.terminate();
    expect(await exited).toBe(1);
    await within(peer.whenClosed, 5000, 'server side close');
    expect(aborted).toEqual([true, true, true]);
    Fd.closeAll(lent);
    await server.close();
  }
  await expectNoNewFds(baseline);
});

// The held call here carries no fds, and the calls with fds are sent once it is held (reading has
// paused): their fds are still in the socket, which the addon closes. Fds held in JavaScript are the
// next test's subject.
it('terminating a worker whose server has calls with fds pending: requests reject, no crash, no leak', async () => {
  await (await startWorker('worker-peer-server.ts', { path: tmp.path(`w${n++}.sock`) })).worker.terminate();
  const baseline = openFds();
  for (let round = 0; round < 2; round++) {
    const path = tmp.path(`w${n++}.sock`);
    const { worker, exited } = await startWorker('worker-peer-server.ts', { path });
    const holding = new Promise<void>((resolve) => worker.once('message', () => resolve()));
    const client = await connectPeer(path);
    const sent = [textFd('pending 1'), textFd('pending 2')];
    const calls = [client.request('hold', [0]).catch((error: unknown) => error)];
    await within(holding, 5000, 'first call held');
    for (let i = 1; i <= 3; i++) calls.push(client.request('hold', [i], { fds: sent }).catch((error: unknown) => error));
    // Let the calls with fds reach the worker's socket.
    await sleep(50);
    await worker.terminate();
    expect(await exited).toBe(1);
    for (const outcome of await Promise.all(calls)) expect(outcome).toBeInstanceOf(ConnectionClosedError);
    expect(client.closed).toBe(true);
    Fd.closeAll(sent);
  }
  await expectNoNewFds(baseline);
});

// No JavaScript runs in a terminated worker, so its Fd objects cannot close anything: the addon
// remembers the fds it handed out (received, pipe) until they are closed or taken, and its env cleanup
// hook closes the rest.
it('terminating a worker that holds received fds (ctx.fds, unclaimed in the channel) and a pipe: no leak', async () => {
  await (await startWorker('worker-fd-holder.ts', { path: tmp.path(`w${n++}.sock`) })).worker.terminate();
  const baseline = openFds();
  for (let round = 0; round < 2; round++) {
    const path = tmp.path(`w${n++}.sock`);
    const { worker, exited } = await startWorker('worker-fd-holder.ts', { path });
    const holding = new Promise<unknown>((resolve) => worker.once('message', resolve));
    const sock = await connect(path);
    sock.start({ data: (_bytes, fds) => Fd.closeAll(fds), end() {}, error() {}, close() {} });
    const sent = [1, 2, 3, 4, 5].map((i) => textFd(`held ${i}`));
    // One sendmsg: a whole call claiming 2 fds, then the start of a call claiming 3 (never finished),
    // so 2 fds sit in the handler's ctx.fds and 3 wait unclaimed in the channel's fd queue.
    const bytes = '{"jsonrpc":"2.0","method":"hold","id":1,"fds":2}{"jsonrpc":"2.0","method":"hold","id":2,"fds":3,';
    await sock.write(Buffer.from(bytes), sent);
    Fd.closeAll(sent);
    expect(await within(holding, 5000, 'call held')).toBe(2);
    await worker.terminate();
    expect(await exited).toBe(1);
    await sock.close();
  }
  await expectNoNewFds(baseline);
});
