// 1,000 fds in one message, both ways, over a real listener: every fd keeps its identity (a distinct
// file with known content) and nothing leaks on either side.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectPeer } from '../../src/jsonrpc/connect-peer.js';
import { JsonRpcError } from '../../src/jsonrpc/jsonrpc-error.js';
import { listenPeers } from '../../src/jsonrpc/server.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { expectNoFdLeaks, processFdCount } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';
import { tempDir } from '../support/temp-dir.js';
import { settledFdCount, startEchoChild } from './echo-child.js';

const N = 1000;
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('thousand-fds');
});
afterAll(() => tmp.remove());
expectNoFdLeaks();

function files(prefix: string): Fd[] {
  return Array.from({ length: N }, (_, i) => textFd(`${prefix} ${i}`));
}

it('a request with 1,000 fds reaches the handler in order, and 1,000 fds come back with the response', async () => {
  let handlerSaw = 0;
  await using server = await listenPeers(tmp.path('a.sock'), {
    handlers: {
      swap: (_params, ctx) => {
        if (ctx.fds.length !== N) throw new JsonRpcError(-32602, `got ${ctx.fds.length} fds`);
        ctx.fds.forEach((fd, i) => {
          if (fdText(fd) !== `request ${i}`) throw new JsonRpcError(-32602, `fd ${i} holds ${fdText(fd)}`);
        });
        handlerSaw = ctx.fds.length;
        return withFds({ count: N }, files('response'));
      },
    },
  });
  const client = await connectPeer(tmp.path('a.sock'));
  const sent = files('request');
  try {
    const { result, fds } = await client.request('swap', [], { fds: sent });
    expect(handlerSaw).toBe(N);
    expect(result).toEqual({ count: N });
    expect(fds).toHaveLength(N);
    expect(fds.map((fd) => fdText(fd))).toEqual(Array.from({ length: N }, (_, i) => `response ${i}`));
    Fd.closeAll(fds);
  } finally {
    Fd.closeAll(sent);
    await client.close();
  }
});

it('1,000 fds echoed by a serve-echo child come back as the same files, and the child keeps none', async () => {
  const server = await startEchoChild(tmp.path('child.sock'));
  try {
    const client = await connectPeer(server.socketPath);
    // Warm up so that the child's lazily opened fds are in its baseline.
    await client.request('echo', []);
    const childBefore = processFdCount(server.pid);
    const sent = files('round trip');
    try {
      const { fds } = await client.request('echoFds', ['x'], { fds: sent });
      expect(fds.map((fd) => fdText(fd))).toEqual(Array.from({ length: N }, (_, i) => `round trip ${i}`));
      Fd.closeAll(fds);
      await client.request('echo', []);
      expect(await settledFdCount(server.pid, childBefore)).toBe(childBefore);
    } finally {
      Fd.closeAll(sent);
      await client.close();
    }
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
