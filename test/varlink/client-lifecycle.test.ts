import { getEventListeners } from 'node:events';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { RequestTimeoutError } from '../../src/jsonrpc/request-timeout-error.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkProtocolError } from '../../src/varlink/varlink-protocol-error.js';
import { connectPair, rawPeer, transportPair, type PairKind } from './helpers.js';
import { testService } from './test-interface.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

expectNoFdLeaks();

describe.each<PairKind>(['memory', 'socketpair'])('client lifecycle over %s', (kind) => {
  it('rejects a timed-out call and drops its late reply (and fds) without shifting later replies', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { fds: true }, serve: { fds: true } });
    const slow = client.call('org.example.test.Sleep', { ms: 40, tag: 'late' }, { timeoutMs: 5 });
    const fdsLate = client.call('org.example.test.OpenFds', { texts: ['dropped'] }, { timeoutMs: 1 });
    const next = client.call('org.example.test.Echo', { value: 'next' });
    const [a, b, c] = await Promise.allSettled([slow, fdsLate, next]);
    expect(a.status === 'rejected' && a.reason).toBeInstanceOf(RequestTimeoutError);
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(RequestTimeoutError);
    expect(c.status === 'fulfilled' && c.value.parameters).toEqual({ value: 'next' });
    await client.close();
    await done;
  });

  it('refuses an invalid timeoutMs locally, sends nothing, and stays usable', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    for (const timeoutMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      await expect(client.call('org.example.test.Echo', { value: 'x' }, { timeoutMs })).rejects.toThrow(RangeError);
    }
    expect((await client.call('org.example.test.Echo', { value: 'after' }, { timeoutMs: 0 })).parameters).toEqual({ value: 'after' });
    await client.close();
    await done;
  });

  it('rejects an aborted call with the signal reason', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const ac = new AbortController();
    const call = client.call('org.example.test.Sleep', { ms: 20, tag: 't' }, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(call).rejects.toThrow('stop');
    expect((await client.call('org.example.test.Echo', { value: 'after' })).parameters).toEqual({ value: 'after' });
    await client.close();
    await done;
  });

  it('drops the rest of a stream left early, closing the fds of its buffered replies', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const got = [];
    for await (const r of client.stream('org.example.test.Count', { n: 50 })) {
      got.push(r.parameters['i']);
      if (got.length === 2) break;
    }
    expect(got).toEqual([1, 2]);
    expect((await client.call('org.example.test.Echo', { value: 'after' })).parameters).toEqual({ value: 'after' });
    await client.close();
    await done;
  });

  it('releases the timer and abort listener of a stream left early, so neither outlives it', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    const ac = new AbortController();
    // The call's own 60 s timer, told apart from any other timer in the process by its delay.
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout');
    onTestFinished(() => {
      setTimer.mockRestore();
      clearTimer.mockRestore();
    });
    const stream = client.stream('org.example.test.Count', { n: 3 }, { signal: ac.signal, timeoutMs: 60_000 });
    const index = setTimer.mock.calls.findIndex((args) => args[1] === 60_000);
    expect(index).toBeGreaterThanOrEqual(0);
    const timer = setTimer.mock.results[index]?.value as NodeJS.Timeout;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await raw.write('{"parameters":{"i":1},"continues":true}\0');
    for await (const r of stream) {
      expect(r.parameters).toEqual({ i: 1 });
      break;
    }
    // A 60 s timer left behind would keep a script that broke out of the loop alive for a minute.
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(clearTimer.mock.calls.some((args) => args[0] === timer)).toBe(true);
    await client.close();
    await b.close();
  });

  it('reads a long stream with backpressure without losing replies', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const stream = client.stream('org.example.test.Count', { n: 300 });
    await new Promise((r) => setTimeout(r, 20)); // let replies pile up past the high-water mark
    let last = 0;
    for await (const r of stream) {
      expect(r.parameters['i']).toBe(last + 1);
      last = r.parameters['i'] as number;
    }
    expect(last).toBe(300);
    await client.close();
    await done;
  });

  it('rejects waiting calls when the service goes away', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    const call = client.call('org.example.test.Echo', { value: 'x' });
    await new Promise((r) => setTimeout(r, 5));
    await b.close();
    await expect(call).rejects.toBeInstanceOf(ConnectionClosedError);
    await client.whenClosed;
    await expect(client.call('org.example.test.Echo', { value: 'y' })).rejects.toBeInstanceOf(ConnectionClosedError);
    void raw;
  });

  it('closes when a reply exceeds its size limit', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { maxMessageSize: 256 } });
    const err = await client
      .call('org.varlink.service.GetInterfaceDescription', { interface: 'org.example.test' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as Error).cause).toBeInstanceOf(VarlinkProtocolError);
    await done;
  });
});
