import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import type { Transport } from '../../src/transport/transport.js';
import type { VarlinkDetached } from '../../src/varlink/varlink-connection.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import type { VarlinkMethodHandler } from '../../src/varlink/varlink-service.js';
import { VarlinkUsageError } from '../../src/varlink/varlink-usage-error.js';
import { connectPair, rawPeer, transportPair, type PairKind } from './helpers.js';
import { testService } from './test-interface.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';

expectNoFdLeaks();

/** Reads everything from a handed-over connection: the pending reads first, then live ones. */
function collect(detached: VarlinkDetached): { text(): string; fds: Fd[]; ended: Promise<void>; transport: Transport } {
  const chunks: Buffer[] = detached.pending.map((p) => p.bytes);
  const fds: Fd[] = detached.pending.flatMap((p) => p.fds);
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  detached.transport.start({
    data: (bytes, got) => {
      chunks.push(Buffer.from(bytes));
      fds.push(...got);
    },
    end: () => resolveEnded(),
    error: () => resolveEnded(),
    close: () => resolveEnded(),
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), fds, ended, transport: detached.transport };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
}

/** A Switch handler that refuses on greeting "refuse", otherwise upgrades and hands the connection out. */
function switchHandler(onUpgrade: (d: VarlinkDetached) => void | Promise<void>): VarlinkMethodHandler {
  return async (p, ctx) => {
    if (p['greeting'] === 'refuse') throw new VarlinkError('org.example.test.Failed', { why: 'refused' });
    if (ctx.upgrade === undefined) throw new Error('no upgrade in context');
    await onUpgrade(ctx.upgrade({ ok: true }));
  };
}

describe.each<PairKind>(['memory', 'socketpair'])('upgrade over %s', (kind) => {
  it('hands both sides the raw connection after the reply, losing no byte or fd sent right after it', async () => {
    let server: ReturnType<typeof collect> | undefined;
    const { service } = testService({
      switch: switchHandler(async (d) => {
        server = collect(d);
        // Sent at once after the confirming reply, with an fd, on a connection where Varlink fds are off.
        using f = textFd('after-upgrade');
        await d.transport.write(Buffer.from('HELLO'), [f]);
      }),
    });
    const { client, done } = connectPair(service, kind);
    const up = await client.upgrade('org.example.test.Switch', { greeting: 'hi' });
    expect(up.parameters).toEqual({ ok: true });
    expect(client.closed).toBe(true);
    const mine = collect(up);
    await until(() => mine.text() === 'HELLO' && mine.fds.length === 1);
    expect(mine.text()).toBe('HELLO');
    expect(mine.fds.map((f) => fdText(f))).toEqual(['after-upgrade']);
    Fd.closeAll(mine.fds);
    await done; // the service let go of the connection
    await up.transport.write(Buffer.from('ping'));
    await until(() => server?.text() === 'ping');
    expect(server?.text()).toBe('ping');
    await up.transport.close();
    await server?.ended;
    await server?.transport.close();
  });

  it('gives the service the bytes a client sent right after the upgrade call', async () => {
    let server: ReturnType<typeof collect> | undefined;
    const { service } = testService({ switch: switchHandler((d) => void (server = collect(d))) });
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write('{"method":"org.example.test.Switch","parameters":{"greeting":"hi"},"upgrade":true}\0RAW{"method":"x"}\0');
    await done;
    await until(() => server?.text() === 'RAW{"method":"x"}\0');
    expect(server?.text()).toBe('RAW{"method":"x"}\0');
    await until(() => raw.replies().length === 1);
    expect(raw.replies()).toEqual([{ parameters: { ok: true } }]);
    await a.close();
    await server?.transport.close();
  });

  it('keeps a Varlink connection when the upgrade is refused, and reads what followed as calls', async () => {
    const { service } = testService({ switch: switchHandler(() => undefined) });
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write(
      '{"method":"org.example.test.Switch","parameters":{"greeting":"refuse"},"upgrade":true}\0' +
        '{"method":"org.example.test.Echo","parameters":{"value":"still varlink"}}\0',
    );
    await until(() => raw.replies().length === 2);
    expect(raw.replies()).toEqual([
      { error: 'org.example.test.Failed', parameters: { why: 'refused' } },
      { parameters: { value: 'still varlink' } },
    ]);
    await a.close();
    await done;
  });

  it('rejects a refused upgrade with the error and keeps the client usable', async () => {
    const { service } = testService({ switch: switchHandler(() => undefined) });
    const { client, done } = connectPair(service, kind);
    const err = await client.upgrade('org.example.test.Switch', { greeting: 'refuse' }).catch((e: unknown) => e);
    expect((err as VarlinkError).error).toBe('org.example.test.Failed');
    expect((await client.call('org.example.test.Echo', { value: 'ok' })).parameters).toEqual({ value: 'ok' });
    await client.close();
    await done;
  });

  it('refuses calls while an upgrade call waits for its reply', async () => {
    let server: ReturnType<typeof collect> | undefined;
    const { service } = testService({ switch: switchHandler((d) => void (server = collect(d))) });
    const { client, done } = connectPair(service, kind);
    const up = client.upgrade('org.example.test.Switch', { greeting: 'hi' });
    await expect(client.call('org.example.test.Echo', { value: 'no' })).rejects.toBeInstanceOf(VarlinkUsageError);
    const result = await up;
    await done;
    await result.transport.close();
    await server?.ended;
    await server?.transport.close();
  });

  it('keeps reads NUL-bounded for a waiting upgrade when a second upgrade call is refused', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const service = rawPeer(b);
    const up = client.upgrade('org.example.test.Switch', { greeting: 'hi' });
    await expect(client.upgrade('org.example.test.Switch', { greeting: 'again' })).rejects.toBeInstanceOf(VarlinkUsageError);
    await until(() => service.received().includes(0));
    // The confirming reply, then the new protocol's first bytes with an fd (Varlink fds are off here).
    using f = textFd('new protocol');
    await service.write('{"parameters":{"ok":true}}\0');
    await service.write('HELLO', [f]);
    const mine = collect(await up);
    await until(() => mine.fds.length === 1);
    expect(mine.text()).toBe('HELLO');
    expect(mine.fds.map((fd) => fdText(fd))).toEqual(['new protocol']);
    Fd.closeAll(mine.fds);
    await mine.transport.close();
    await b.close();
  });

  it('sends nothing after an aborted upgrade call until its reply came, then is Varlink again after a refusal', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const service = rawPeer(b);
    const ac = new AbortController();
    const up = client.upgrade('org.example.test.Switch', { greeting: 'hi' }, { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await expect(up).rejects.toThrow('gave up');
    // The service may still switch protocols: a call now could land in the next protocol.
    await expect(client.call('org.example.test.Echo', { value: 'early' }, { timeoutMs: 200 })).rejects.toBeInstanceOf(VarlinkUsageError);
    await expect(client.send('org.example.test.Note', { text: 'early' })).rejects.toBeInstanceOf(VarlinkUsageError);
    await service.write('{"error":"org.example.test.Failed","parameters":{"why":"refused"}}\0');
    await until(() => service.received().includes(0));
    const echo = client.call('org.example.test.Echo', { value: 'later' });
    await until(() => service.replies().length === 2);
    expect(service.replies()).toEqual([
      { method: 'org.example.test.Switch', parameters: { greeting: 'hi' }, upgrade: true },
      { method: 'org.example.test.Echo', parameters: { value: 'later' } },
    ]);
    await service.write('{"parameters":{"value":"later"}}\0');
    expect((await echo).parameters).toEqual({ value: 'later' });
    await client.close();
    await b.close();
  });
});

describe('a peer flooding the other side of an upgrade', () => {
  it('is not read by the service until its decision, and every byte reaches the new protocol after it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let received = 0;
    let upgraded: Transport | undefined;
    const { service } = testService({
      switch: async (_p, ctx) => {
        await gate;
        const { transport, pending } = ctx.upgrade!({ ok: true });
        upgraded = transport;
        for (const chunk of pending) {
          received += chunk.bytes.length;
          Fd.closeAll(chunk.fds);
        }
        transport.start({ data: (bytes, fds) => void ((received += bytes.length), Fd.closeAll(fds)), end() {}, error() {}, close() {} });
      },
    });
    const [a, b] = transportPair('socketpair');
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write('{"method":"org.example.test.Switch","parameters":{"greeting":"hi"},"upgrade":true}\0');
    const flood = Buffer.alloc(32 << 20, 'f');
    const written = a.write(flood);
    // Without backpressure the service read all 32 MiB into memory while the call was decided.
    expect(await Promise.race([written.then(() => 'read by the service'), sleep(300).then(() => 'held back')])).toBe('held back');
    release();
    await written;
    await done;
    for (let i = 0; i < 400 && received < flood.length; i++) await sleep(5);
    expect(received).toBe(flood.length);
    await a.close();
    await upgraded?.close();
  });

  it('is not read by the client before the upgraded transport is started, and nothing is lost once it is', async () => {
    const [a, b] = transportPair('socketpair');
    const client = new VarlinkClient(a);
    const service = rawPeer(b);
    const up = client.upgrade('org.example.test.Switch', { greeting: 'hi' });
    await until(() => service.received().includes(0));
    await service.write('{"parameters":{"ok":true}}\0');
    const { transport, pending } = await up;
    const flood = Buffer.alloc(32 << 20, 'f');
    const written = b.write(flood);
    // The caller has not started the transport: without backpressure it was all queued in memory.
    expect(await Promise.race([written.then(() => 'read by the client'), sleep(300).then(() => 'held back')])).toBe('held back');
    let received = pending.reduce((n, chunk) => n + chunk.bytes.length, 0);
    transport.start({ data: (bytes, fds) => void ((received += bytes.length), Fd.closeAll(fds)), end() {}, error() {}, close() {} });
    await written;
    for (let i = 0; i < 400 && received < flood.length; i++) await sleep(5);
    expect(received).toBe(flood.length);
    await transport.close();
    await b.close();
  });
});
