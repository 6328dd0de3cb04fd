// Calls at the concurrency limit over a real socket: handlers that call back into the client still get
// their answers (responses are read while requests wait for a slot), the wait is bounded, and calls
// waiting in the backlog are answered in order or, if the connection dies, their fds are closed.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import type { HandlerContext } from '../../src/jsonrpc/handler.js';
import { listenPeers, type ServerOptions } from '../../src/jsonrpc/server.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { expectNoFdLeaks, openFdCount } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';
import { tempDir } from '../support/temp-dir.js';
import { RawClient } from './raw-client.js';
import { within } from './within.js';

let tmp: ReturnType<typeof tempDir>;
let n = 0;
beforeAll(() => {
  tmp = tempDir('symmetric');
});
afterAll(() => tmp.remove());
const baseline = expectNoFdLeaks();

/** A server whose connections are torn down (bounded) when the test ends, even if a handler hangs. */
async function serve(options: ServerOptions): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = tmp.path(`s${n++}.sock`);
  const server = await listenPeers(path, options);
  return { path, [Symbol.asyncDispose]: () => server.close({ signal: AbortSignal.timeout(500) }) };
}

/** A handler that waits until released; `started` counts the calls that reached it. */
function gate(): { handler: (params: unknown, ctx: HandlerContext) => Promise<unknown>; release(): void; started: number } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const g = {
    started: 0,
    release: () => open(),
    handler: async (params: unknown) => {
      g.started++;
      await opened;
      return params;
    },
  };
  return g;
}

it('handlers at maxConcurrentRequests that call back to the client get their answers (no deadlock)', async () => {
  let running = 0;
  let peak = 0;
  await using server = await serve({
    maxConcurrentRequests: 2,
    handlers: {
      outer: async (params, ctx) => {
        running++;
        peak = Math.max(peak, running);
        try {
          // The answer travels on the very connection whose requests are being held back.
          const { result, fds } = await ctx.peer.request<string>('inner', params as number[]);
          return withFds(`${result}+${fdText(fds[0]!)}`, fds);
        } finally {
          running--;
        }
      },
    },
  });
  const client = await connectPeer(server.path);
  try {
    client.handle('inner', (params) => {
      const [i] = params as number[];
      return withFds(`inner${i}`, [textFd(`fd${i}`)]);
    });
    const calls = Array.from({ length: 5 }, (_, i) => client.request<string>('outer', [i]));
    const responses = await within(Promise.all(calls), 3000, 'symmetric calls');
    expect(responses.map((r) => r.result)).toEqual([0, 1, 2, 3, 4].map((i) => `inner${i}+fd${i}`));
    expect(responses.map((r) => fdText(r.fds[0]!))).toEqual([0, 1, 2, 3, 4].map((i) => `fd${i}`));
    for (const r of responses) r.fds[0]!.close();
    // The limit still holds: three calls waited for a slot.
    expect(peak).toBe(2);
  } finally {
    client.destroy();
  }
});

it('with the backlog full the server stops reading, so the client\'s writes back up', async () => {
  const g = gate();
  await using server = await serve({ maxConcurrentRequests: 1, maxQueuedRequests: 2, handlers: { wait: g.handler } });
  const client = await RawClient.connect(server.path);
  try {
    const pad = 'p'.repeat(64 * 1024);
    const total = 40;
    for (let i = 0; i < total; i++) void client.write(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'wait', params: [i, pad] }));
    await sleep(200);
    // 2.5 MiB sent; the server holds one running call, two queued and at most a read's worth more.
    expect(g.started).toBe(1);
    expect(client.socket.writableLength).toBeGreaterThan(total * pad.length - 1024 * 1024);
    g.release();
    const messages = await client.waitMessages(total);
    expect(messages.map((m) => m['id'])).toEqual(Array.from({ length: total }, (_, i) => i));
  } finally {
    await client.destroy();
  }
});

it('calls queued when the client half-closes are still answered, in order', async () => {
  const g = gate();
  await using server = await serve({ maxConcurrentRequests: 1, handlers: { wait: g.handler } });
  const client = await RawClient.connect(server.path);
  try {
    for (let i = 0; i < 5; i++) await client.write(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'wait', params: [i] }));
    await client.socket.end();
    await sleep(50);
    g.release();
    const messages = await client.waitMessages(5);
    expect(messages.map((m) => m['result'])).toEqual([[0], [1], [2], [3], [4]]);
    await client.waitGone();
  } finally {
    await client.destroy();
  }
});

it('fds of calls still queued are closed when the connection dies', async () => {
  const g = gate();
  await using server = await serve({ maxConcurrentRequests: 1, handlers: { wait: g.handler } });
  const client = await connectPeer(server.path);
  const sent = textFd('queued');
  const calls = Array.from({ length: 4 }, (_, i) => client.request('wait', [i], { fds: [sent] }).catch(() => 'failed'));
  await within(
    (async () => {
      while (g.started === 0) await sleep(5);
    })(),
    2000,
    'first call',
  );
  await sleep(50);
  // The server process holds one fd per received call (ours is shared across them).
  expect(openFdCount()).toBeGreaterThanOrEqual(baseline() + 1 + 2 + 4);
  client.destroy();
  expect(await Promise.all(calls)).toEqual(['failed', 'failed', 'failed', 'failed']);
  sent.close();
  g.release();
});
