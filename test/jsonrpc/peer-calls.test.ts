import { describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { defineMethod } from '../../src/jsonrpc/method-descriptor.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText, inode, textFd } from '../support/fd-files.js';
import { peerPair } from './peer-pair.js';

const peers: JsonRpcPeer[] = [];
expectNoFdLeaks({ cleanup: () => peers.splice(0).forEach((peer) => peer.destroy()) });

function pair(...args: Parameters<typeof peerPair>): [JsonRpcPeer, JsonRpcPeer] {
  const p = peerPair(...args);
  peers.push(...p);
  return p;
}

describe('requests without fds', () => {
  it('answers a request with the handler result', async () => {
    const [client, server] = pair();
    server.handle('add', (params) => {
      const [a, b] = params as [number, number];
      return a + b;
    });
    const response = await client.request<number>('add', [2, 3]);
    expect(response.result).toBe(5);
    expect(response.fds).toEqual([]);
  });

  it('gives end-to-end types through a method descriptor', async () => {
    const greet = defineMethod<{ name: string }, { greeting: string }>('greet');
    const [client, server] = pair();
    server.handle(greet, async ({ name }) => ({ greeting: `hello ${name}` }));
    const { result } = await client.request(greet, { name: 'fd' });
    const greeting: string = result.greeting;
    expect(greeting).toBe('hello fd');
  });

  it('sends a null result for a handler returning undefined', async () => {
    const [client, server] = pair();
    server.handle('nothing', () => undefined);
    expect((await client.request('nothing')).result).toBeNull();
  });

  it('lets either side call the other, also from inside a handler', async () => {
    const [client, server] = pair();
    client.handle('whoami', () => 'client');
    server.handle('ask', async (_params, ctx) => {
      const { result } = await ctx.peer.request<string>('whoami');
      return `server asked ${result}`;
    });
    expect((await client.request('ask')).result).toBe('server asked client');
    expect((await server.request('whoami')).result).toBe('client');
  });

  it('uses increasing integer ids', async () => {
    const [client, server] = pair();
    const ids: unknown[] = [];
    server.handle('id', (_params, ctx) => {
      ids.push(ctx.id);
      return null;
    });
    await client.request('id');
    await client.request('id');
    expect(ids).toHaveLength(2);
    expect(Number.isInteger(ids[0])).toBe(true);
    expect(ids[1]).toBe((ids[0] as number) + 1);
  });
});

describe('requests with fds', () => {
  it('hands request fds to the handler in order and closes the ones it did not take', async () => {
    const [client, server] = pair();
    let seen: Fd[] = [];
    server.handle('read', (_params, ctx) => {
      seen = ctx.fds;
      return ctx.fds.map((fd) => fdText(fd));
    });
    const sent = [textFd('one'), textFd('two'), textFd('three')];
    const { result } = await client.request('read', {}, { fds: sent });
    expect(result).toEqual(['one', 'two', 'three']);
    expect(seen).toHaveLength(3);
    expect(seen.every((fd) => fd.closed)).toBe(true);
    Fd.closeAll(sent);
  });

  it('closes untaken fds also when an async handler throws', async () => {
    const [client, server] = pair();
    let seen: Fd[] = [];
    server.handle('fail', async (_params, ctx) => {
      seen = ctx.fds;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('nope');
    });
    const sent = textFd('x');
    await expect(client.request('fail', [], { fds: [sent] })).rejects.toMatchObject({ code: -32603, message: 'nope' });
    expect(seen[0]?.closed).toBe(true);
    sent.close();
  });

  it('leaves a taken fd open for the handler to keep', async () => {
    const [client, server] = pair();
    let kept = -1;
    server.handle('keep', (_params, ctx) => {
      kept = ctx.fds[0]!.take();
      return null;
    });
    const sent = textFd('kept text');
    await client.request('keep', [], { fds: [sent] });
    sent.close();
    const keptFd = new Fd(kept);
    expect(fdText(keptFd)).toBe('kept text');
    keptFd.close();
  });

  it('returns fds with withFds; the library closes them after the write and the caller owns the received ones', async () => {
    const [client, server] = pair();
    const given: Fd[] = [];
    server.handle('open', () => {
      given.push(textFd('a'), textFd('b'));
      return withFds({ ok: true }, given);
    });
    const { result, fds } = await client.request('open');
    expect(result).toEqual({ ok: true });
    expect(fds.map((fd) => fdText(fd))).toEqual(['a', 'b']);
    await expect.poll(() => given.every((fd) => fd.closed)).toBe(true);
    Fd.closeAll(fds);
  });

  it('keeps withFds fds open with close: false and reports the write through sent', async () => {
    const [client, server] = pair();
    const mine = textFd('mine');
    let sent: Promise<boolean> | undefined;
    server.handle('lend', () => {
      const reply = withFds('lent', [mine], { close: false });
      sent = reply.sent;
      return reply;
    });
    const { fds } = await client.request('lend');
    expect(await sent).toBe(true);
    expect(mine.closed).toBe(false);
    expect(inode(fds[0]!)).toBe(inode(mine));
    Fd.closeAll(fds);
    mine.close();
  });

  it('echoes received fds back as they are (returned ctx.fds are closed only after the write)', async () => {
    const [client, server] = pair();
    server.handle('echoFds', (params, ctx) => withFds(params, ctx.fds));
    const sent = [textFd('1'), textFd('2'), textFd('3'), textFd('4')];
    const { result, fds } = await client.request('echoFds', { n: 4 }, { fds: sent });
    expect(result).toEqual({ n: 4 });
    expect(fds.map(inode)).toEqual(sent.map(inode));
    Fd.closeAll(fds);
    Fd.closeAll(sent);
  });

  it('carries many fds when the transport batches them (2 per sendmsg) and splits reads byte by byte', async () => {
    const [client, server] = pair({}, {}, { maxFdsPerSend: 2, chunkSize: 1 });
    server.handle('echoFds', (params, ctx) => withFds(params, ctx.fds));
    const sent = Array.from({ length: 7 }, (_, i) => textFd(`batched ${i}`));
    const { result, fds } = await client.request('echoFds', { n: 7 }, { fds: sent });
    expect(result).toEqual({ n: 7 });
    expect(fds.map((fd) => fdText(fd))).toEqual(sent.map((fd) => fdText(fd)));
    Fd.closeAll(fds);
    Fd.closeAll(sent);
  });

  it('closes withFds fds returned for a notification, which gets no answer', async () => {
    const [client, server] = pair();
    const made: Fd[] = [];
    const handled = new Promise<void>((resolve) => {
      server.handle('note', () => {
        made.push(textFd('unsent'));
        resolve();
        return withFds(null, made);
      });
    });
    await client.notify('note');
    await handled;
    await expect.poll(() => made[0]?.closed).toBe(true);
  });

  it('passes fds in a notification to its handler and closes them afterwards', async () => {
    const [client, server] = pair();
    const texts: string[] = [];
    let seen: Fd[] = [];
    const got = new Promise<void>((resolve) => {
      server.handle('note', (_params, ctx) => {
        seen = ctx.fds;
        texts.push(fdText(ctx.fds[0]!));
        resolve();
      });
    });
    const sent = textFd('noted');
    await client.notify('note', { x: 1 }, { fds: [sent] });
    sent.close();
    await got;
    expect(texts).toEqual(['noted']);
    await expect.poll(() => seen[0]?.closed).toBe(true);
  });
});

describe('pipelining', () => {
  it('answers 10,000 pipelined requests with correct results in id order', async () => {
    const [client, server] = pair();
    const order: number[] = [];
    server.handle('square', (params, ctx) => {
      order.push(ctx.id as number);
      const [n] = params as [number];
      return n * n;
    });
    const count = 10_000;
    const calls = Array.from({ length: count }, (_, i) => client.request<number>('square', [i]));
    const results = await Promise.all(calls);
    expect(results.every((r, i) => r.result === i * i)).toBe(true);
    expect(order).toHaveLength(count);
    expect(order.every((id, i) => i === 0 || id > order[i - 1]!)).toBe(true);
  }, 60_000);
});
