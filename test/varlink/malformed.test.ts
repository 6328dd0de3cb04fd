import { describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkProtocolError } from '../../src/varlink/varlink-protocol-error.js';
import { rawPeer, transportPair, type PairKind } from './helpers.js';
import { testService } from './test-interface.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

expectNoFdLeaks();

const ECHO = '{"method":"org.example.test.Echo","parameters":{"value":"first"}}\0';

describe.each<PairKind>(['memory', 'socketpair'])('service facing malformed calls over %s', (kind) => {
  const malformed: [string, string][] = [
    ['invalid JSON', '{"method":'],
    ['invalid UTF-8', '{"method":"org.example.test.Echo\xff"}'],
    ['a non-object', '["org.example.test.Echo"]'],
    ['no method', '{"parameters":{}}'],
    ['a non-string method', '{"method":42}'],
    ['a non-boolean flag', '{"method":"org.example.test.Echo","parameters":{"value":"x"},"more":1}'],
    ['two flags', '{"method":"org.example.test.Echo","parameters":{"value":"x"},"more":true,"oneway":true}'],
    ['an unknown unprefixed key', '{"method":"org.example.test.Echo","parameters":{"value":"x"},"id":1}'],
    ['non-object parameters', '{"method":"org.example.test.Echo","parameters":[1]}'],
  ];
  it.each(malformed)('answers the calls before %s, then closes', async (_name, bad) => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    const bytes = Buffer.concat([Buffer.from(ECHO), Buffer.from(bad, 'latin1'), Buffer.of(0), Buffer.from(ECHO)]);
    await a.write(bytes);
    await raw.ended;
    expect(raw.replies()).toEqual([{ parameters: { value: 'first' } }]);
    await done;
    await a.close();
  });

  it('ignores unknown vendor extension keys', async () => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write('{"method":"org.example.test.Echo","parameters":{"value":"v"},"org.example.vendor":{"trace":1}}\0');
    await raw.write('{"method":"org.example.test.Echo","parameters":{"value":"w"}}\0');
    for (let i = 0; i < 100 && raw.replies().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(raw.replies()).toEqual([{ parameters: { value: 'v' } }, { parameters: { value: 'w' } }]);
    await a.close();
    await done;
  });

  it('accepts null and absent parameters and false flags as their defaults', async () => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write('{"method":"org.varlink.service.GetInfo","parameters":null,"more":false,"oneway":false}\0');
    await raw.write('{"method":"org.example.test.Notes"}\0');
    for (let i = 0; i < 100 && raw.replies().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const replies = raw.replies() as { parameters: Record<string, unknown> }[];
    expect(replies[0]?.parameters['vendor']).toBe('Test Vendor');
    expect(replies[1]).toEqual({ parameters: { texts: [] } });
    await a.close();
    await done;
  });

  it('closes a connection whose message exceeds the size limit', async () => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b, { maxMessageSize: 256 });
    const raw = rawPeer(a);
    await raw.write(`{"method":"org.example.test.Echo","parameters":{"value":"${'x'.repeat(300)}"}}`);
    await raw.ended;
    expect(raw.replies()).toEqual([]);
    await done;
    await a.close();
  });

  it('answers every pipelined call before closing when the client shuts down its writing side', async () => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write('{"method":"org.example.test.Sleep","parameters":{"ms":20,"tag":"a"}}\0' + ECHO);
    await a.end();
    await raw.ended;
    expect(raw.replies()).toEqual([{ parameters: { tag: 'a' } }, { parameters: { value: 'first' } }]);
    await done;
    await a.close();
  });
});

describe.each<PairKind>(['memory', 'socketpair'])('client facing a misbehaving service over %s', (kind) => {
  const bad: [string, string, 'call' | 'stream'][] = [
    ['continues without more', '{"parameters":{"value":"x"},"continues":true}', 'call'],
    ['continues on an error', '{"error":"org.example.test.Failed","continues":true}', 'stream'],
    ['a non-object reply', '[1,2]', 'call'],
    ['invalid JSON', '{"parameters":', 'call'],
    ['an unknown unprefixed key', '{"parameters":{},"id":1}', 'call'],
    ['non-object parameters', '{"parameters":"x"}', 'call'],
    ['a non-boolean continues', '{"parameters":{},"continues":"yes"}', 'stream'],
    ['a non-string error', '{"error":7}', 'call'],
  ];
  it.each(bad)('closes with a protocol error on %s', async (_name, reply, how) => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    const pending =
      how === 'call'
        ? client.call('org.example.test.Echo', { value: 'x' })
        : (async () => {
            for await (const r of client.stream('org.example.test.Count', { n: 2 })) void r;
          })();
    const second = client.call('org.example.test.Echo', { value: 'y' });
    await raw.write(reply + '\0');
    for (const p of [pending, second]) {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect((err as Error).cause).toBeInstanceOf(VarlinkProtocolError);
    }
    expect(client.closed).toBe(true);
    await raw.ended;
    await b.close();
  });

  it('closes with a protocol error on a reply nobody asked for', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    await raw.write('{"parameters":{}}\0');
    await client.whenClosed;
    const err = await client.call('org.example.test.Echo', { value: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as Error).cause).toBeInstanceOf(VarlinkProtocolError);
    await raw.ended;
    await b.close();
  });

  it('ignores unknown vendor keys in replies', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    const call = client.call('org.example.test.Echo', { value: 'x' });
    await raw.write('{"parameters":{"value":"x"},"org.example.vendor":{"t":1}}\0');
    expect((await call).parameters).toEqual({ value: 'x' });
    // replies() parses what the client wrote: the call alone.
    for (let i = 0; i < 100 && raw.replies().length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(raw.replies()).toEqual([{ method: 'org.example.test.Echo', parameters: { value: 'x' } }]);
    await client.close();
    await b.close();
  });

  it('writes calls without empty parameters or false flags', async () => {
    const [a, b] = transportPair(kind);
    const client = new VarlinkClient(a);
    const raw = rawPeer(b);
    const call = client.call('org.example.test.Notes');
    await client.send('org.example.test.Note', { text: 't' });
    const stream = client.stream('org.example.test.Count', { n: 1 });
    for (let i = 0; i < 100 && raw.replies().length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(raw.replies()).toEqual([
      { method: 'org.example.test.Notes' },
      { method: 'org.example.test.Note', parameters: { text: 't' }, oneway: true },
      { method: 'org.example.test.Count', parameters: { n: 1 }, more: true },
    ]);
    await raw.write('{"parameters":{"texts":[]}}\0{"parameters":{"i":1}}\0');
    expect((await call).parameters).toEqual({ texts: [] });
    const got = [];
    for await (const r of stream) got.push(r.parameters);
    expect(got).toEqual([{ i: 1 }]);
    await client.close();
    await b.close();
  });
});
