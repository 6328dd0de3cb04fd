import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { VarlinkUsageError } from '../../src/varlink/varlink-usage-error.js';
import { connectPair, type PairKind } from './helpers.js';
import { TEST_IDL, testService } from './test-interface.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

expectNoFdLeaks();

describe.each<PairKind>(['memory', 'socketpair'])('client and service over %s', (kind) => {
  it('answers a simple call with its reply parameters', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const r = await client.call('org.example.test.Echo', { value: 'hi' });
    expect(r.parameters).toEqual({ value: 'hi' });
    expect(r.fds).toEqual([]);
    await client.close();
    await done;
  });

  it('keeps replies in call order for pipelined calls, even when earlier calls are slower', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const calls = [
      client.call('org.example.test.Sleep', { ms: 30, tag: 'first' }),
      client.call('org.example.test.Sleep', { ms: 0, tag: 'second' }),
      client.call('org.example.test.Echo', { value: 'third' }),
    ];
    const results = await Promise.all(calls);
    expect(results.map((r) => Object.values(r.parameters)[0])).toEqual(['first', 'second', 'third']);
    await client.close();
    await done;
  });

  it('streams more replies: continues on all but the last', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const seen: [unknown, boolean][] = [];
    for await (const r of client.stream('org.example.test.Count', { n: 4 })) seen.push([r.parameters['i'], r.continues]);
    expect(seen).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, false],
    ]);
    // The connection is free for the next call afterwards.
    expect((await client.call('org.example.test.Echo', { value: 'after' })).parameters).toEqual({ value: 'after' });
    await client.close();
    await done;
  });

  it('answers a generator method called without more with its first value only', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    expect((await client.call('org.example.test.Ticks', { n: 5 })).parameters).toEqual({ i: 1 });
    expect((await client.call('org.example.test.Echo', { value: 'next' })).parameters).toEqual({ value: 'next' });
    await client.close();
    await done;
  });

  it('sends no reply to oneway calls, not even an error, so later replies stay matched', async () => {
    const { service, notes } = testService();
    const { client, done } = connectPair(service, kind);
    await client.send('org.example.test.Note', { text: 'one' });
    await client.send('org.example.test.Nope', {});
    await client.send('org.example.test.Fail', { why: 'x' });
    await client.send('org.example.test.Note', { text: 'two' });
    const r = await client.call('org.example.test.Notes');
    expect(r.parameters).toEqual({ texts: ['one', 'two'] });
    expect(notes).toEqual(['one', 'two']);
    await client.close();
    await done;
  });

  it('reports service info and interface descriptions with their comments', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const info = await client.call('org.varlink.service.GetInfo');
    expect(info.parameters).toEqual({
      vendor: 'Test Vendor',
      product: 'Test Product',
      version: '1.0',
      url: 'https://example.org/test',
      interfaces: ['org.varlink.service', 'org.example.test'],
    });
    const desc = await client.call('org.varlink.service.GetInterfaceDescription', { interface: 'org.example.test' });
    expect(desc.parameters['description']).toBe(TEST_IDL);
    expect(desc.parameters['description']).toContain('# Counts from 1 to n, one reply each.');
    const self = await client.call('org.varlink.service.GetInterfaceDescription', { interface: 'org.varlink.service' });
    expect(self.parameters['description']).toContain('error ExpectedUpgrade');
    await client.close();
    await done;
  });

  it('passes 64-bit integers losslessly', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind);
    const r = await client.call('org.example.test.Add', { a: 2n ** 62n, b: 2n ** 62n });
    expect(r.parameters['sum']).toBe(2n ** 63n);
    await client.close();
    await done;
  });

  describe('standard errors', () => {
    const cases: [string, string, Record<string, unknown>, string, Record<string, unknown>][] = [
      ['unknown interface', 'org.example.nothere.Call', {}, 'org.varlink.service.InterfaceNotFound', { interface: 'org.example.nothere' }],
      ['unknown method', 'org.example.test.Nope', {}, 'org.varlink.service.MethodNotFound', { method: 'org.example.test.Nope' }],
      ['declared but not implemented', 'org.example.test.Unimplemented', {}, 'org.varlink.service.MethodNotImplemented', { method: 'org.example.test.Unimplemented' }],
      ['wrong parameter type', 'org.example.test.Add', { a: 1, b: 'two' }, 'org.varlink.service.InvalidParameter', { parameter: 'b' }],
      ['missing parameter', 'org.example.test.Add', { a: 1 }, 'org.varlink.service.InvalidParameter', { parameter: 'b' }],
      ['unknown parameter', 'org.example.test.Echo', { value: 'x', extra: 1 }, 'org.varlink.service.InvalidParameter', { parameter: 'extra' }],
      ['permission denied by the handler', 'org.example.test.Secret', {}, 'org.varlink.service.PermissionDenied', {}],
      ['more required', 'org.example.test.Count', { n: 2 }, 'org.varlink.service.ExpectedMore', {}],
      ['upgrade required', 'org.example.test.Switch', { greeting: 'hi' }, 'org.varlink.service.ExpectedUpgrade', {}],
      ['interface error from the handler', 'org.example.test.Fail', { why: 'because' }, 'org.example.test.Failed', { why: 'because' }],
    ];
    it.each(cases)('%s', async (_name, method, params, error, errorParams) => {
      const { service } = testService();
      const { client, done } = connectPair(service, kind);
      const err = await client.call(method, params).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VarlinkError);
      expect((err as VarlinkError).error).toBe(error);
      expect((err as VarlinkError).parameters).toEqual(errorParams);
      // An error ends the call, not the connection.
      expect((await client.call('org.example.test.Echo', { value: 'ok' })).parameters).toEqual({ value: 'ok' });
      await client.close();
      await done;
    });

    it('turns a handler crash and an invalid reply into an internal error and reports them', async () => {
      const { service, errors } = testService();
      const { client, done } = connectPair(service, kind);
      const crash = await client.call('org.example.test.Crash').catch((e: unknown) => e);
      expect((crash as VarlinkError).error).toBe('io.github.jsonrpc-fdpass.InternalError');
      const bad = await client.call('org.example.test.BadReply').catch((e: unknown) => e);
      expect((bad as VarlinkError).error).toBe('io.github.jsonrpc-fdpass.InternalError');
      expect(errors.map((e) => e.message)).toEqual([
        'handler bug',
        expect.stringContaining("reply of org.example.test.BadReply does not match the IDL"),
      ]);
      await client.close();
      await done;
    });

    it('refuses a continues reply a handler sends after its final reply, so the next call does not get it', async () => {
      const late: Promise<unknown>[] = [];
      const service = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' });
      service.addInterface("interface org.example.late\n# [Supports 'more' flag]\nmethod Late() -> (i: int)\n# [Supports 'more' flag]\nmethod Slow() -> (i: int)\n", {
        Late: (_params, ctx) => {
          late.push(sleep(5).then(() => ctx.reply({ i: 99 })).catch((e: unknown) => e));
          return { i: 1 };
        },
        Slow: async () => {
          await sleep(30);
          return { i: 2 };
        },
      });
      const { client, done } = connectPair(service, kind);
      const first = [];
      for await (const r of client.stream('org.example.late.Late')) first.push(r.parameters);
      const second = [];
      for await (const r of client.stream('org.example.late.Slow')) second.push(r.parameters);
      expect(first).toEqual([{ i: 1 }]);
      expect(second).toEqual([{ i: 2 }]);
      const [lateResult] = await Promise.all(late);
      expect(lateResult).toBeInstanceOf(VarlinkUsageError);
      expect((lateResult as Error).message).toBe('org.example.late.Late was already answered');
      await client.close();
      await done;
    });

    it('reports handlers that throw or reject with non-Errors to onError as Errors', async () => {
      const errors: unknown[] = [];
      const service = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u', onError: (e) => errors.push(e) });
      service.addInterface('interface org.example.odd\nmethod Str() -> ()\nmethod Undef() -> ()\nmethod Null() -> ()\n', {
        Str: () => {
          throw 'plain string';
        },
        Undef: () => {
          throw undefined;
        },
        Null: () => Promise.reject(null),
      });
      const { client, done } = connectPair(service, kind);
      for (const method of ['Str', 'Undef', 'Null']) {
        const err = await client.call(`org.example.odd.${method}`).catch((e: unknown) => e);
        expect((err as VarlinkError).error).toBe('io.github.jsonrpc-fdpass.InternalError');
      }
      expect(errors.every((e) => e instanceof Error)).toBe(true);
      expect(errors.map((e) => (e as Error).message)).toEqual(['plain string', 'undefined', 'null']);
      await client.close();
      await done;
    });
  });
});
