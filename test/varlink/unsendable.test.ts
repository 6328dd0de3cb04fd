// Calls and replies that cannot be sent: each fails alone, every call gets exactly one reply, in order,
// and the connection stays usable. Also: int parameters written as decimal strings reach handlers as numbers.
import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { VARLINK_JSON_MAX_DEPTH } from '../../src/varlink/idl/varlink-json.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import { VarlinkService, VARLINK_INTERNAL_ERROR } from '../../src/varlink/varlink-service.js';
import { VarlinkUsageError } from '../../src/varlink/varlink-usage-error.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { connectPair, rawPeer, transportPair, type PairKind } from './helpers.js';

expectNoFdLeaks();

const IDL = `interface org.example.bad
type Node (n: int, next: ?Node)
method Circ() -> (v: object)
method Deep() -> (v: any)
method BadErr() -> ()
method BadFd() -> (n: int)
method Stream() -> (i: int)
method Add(a: int, b: int) -> (sum: int)
method Ints(list: []int, map: [string]int, opt: ?int, node: Node, anyv: any) -> (kinds: []string)
error Oops (v: object)
`;

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

/** Records what each handler saw; `onError` reports. */
function makeService(): { service: VarlinkService; errors: string[]; seen: unknown[] } {
  const errors: string[] = [];
  const seen: unknown[] = [];
  const service = new VarlinkService({
    vendor: 'v',
    product: 'p',
    version: '1',
    url: 'u',
    onError: (err, method) => errors.push(`${method}: ${err.message}`),
  });
  service.addInterface(IDL, {
    Circ: () => {
      const o: Record<string, unknown> = {};
      o['self'] = o;
      return { v: o };
    },
    Deep: () => ({ v: deepArray(VARLINK_JSON_MAX_DEPTH + 10) }),
    BadErr: () => {
      const o: Record<string, unknown> = {};
      o['self'] = o;
      throw new VarlinkError('org.example.bad.Oops', { v: o });
    },
    // 2**20 is a valid descriptor number that no process here has open: the send fails with EBADF.
    BadFd: () => withFds({ n: 1 }, [2 ** 20]),
    Stream: async function* () {
      yield { i: 1 };
      const o: Record<string, unknown> = {};
      o['self'] = o;
      yield { i: o as unknown as number };
      return { i: 3 };
    },
    Add: (p) => ({ sum: (p['a'] as number) + (p['b'] as number) }),
    Ints: (p) => {
      seen.push(p);
      return { kinds: [] };
    },
  });
  return { service, errors, seen };
}

describe.each<PairKind>(['socketpair', 'memory'])('a reply that cannot be sent (%s)', (kind) => {
  it('answers a cyclic reply with the internal error, and the next call gets its own reply', async () => {
    const { service, errors } = makeService();
    const { client, done } = connectPair(service, kind);
    const circ = client.call('org.example.bad.Circ');
    const add = client.call('org.example.bad.Add', { a: 1, b: 2 });
    await expect(circ).rejects.toMatchObject({ error: VARLINK_INTERNAL_ERROR });
    await expect(add).resolves.toMatchObject({ parameters: { sum: 3 } });
    expect(errors).toEqual([expect.stringContaining('org.example.bad.Circ: message cannot be encoded')]);
    await client.close();
    await done;
  });

  it('answers a reply nested deeper than the JSON limit with the internal error', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, kind);
    const results = await Promise.allSettled([
      client.call('org.example.bad.Deep'),
      client.call('org.example.bad.Add', { a: 2, b: 2 }),
      client.call('org.example.bad.Deep'),
      client.call('org.example.bad.Add', { a: 3, b: 3 }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.parameters : (r.reason as VarlinkError).error))).toEqual([
      VARLINK_INTERNAL_ERROR,
      { sum: 4 },
      VARLINK_INTERNAL_ERROR,
      { sum: 6 },
    ]);
    await client.close();
    await done;
  });

  it('falls back to the internal error when a VarlinkError has parameters that cannot be encoded', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, kind);
    const bad = client.call('org.example.bad.BadErr');
    const add = client.call('org.example.bad.Add', { a: 1, b: 1 });
    await expect(bad).rejects.toMatchObject({ error: VARLINK_INTERNAL_ERROR });
    await expect(add).resolves.toMatchObject({ parameters: { sum: 2 } });
    await client.close();
    await done;
  });

  it('ends a more call whose continues reply cannot be sent with the internal error, after the replies that went out', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, kind);
    const got: unknown[] = [];
    const add = client.call('org.example.bad.Add', { a: 5, b: 5 });
    await expect(
      (async () => {
        for await (const r of client.stream('org.example.bad.Stream')) got.push(r.parameters);
      })(),
    ).rejects.toMatchObject({ error: VARLINK_INTERNAL_ERROR });
    expect(got).toEqual([{ i: 1 }]);
    await expect(add).resolves.toMatchObject({ parameters: { sum: 10 } });
    await client.close();
    await done;
  });
});

describe('fds that cannot be sent', () => {
  it('answers a reply whose fd is not open with the internal error; later calls are answered in order', async () => {
    const { service, errors } = makeService();
    const { client, done } = connectPair(service, 'socketpair', { client: { fds: true }, serve: { fds: true } });
    const results = await Promise.allSettled([
      client.call('org.example.bad.BadFd'),
      client.call('org.example.bad.Add', { a: 1, b: 2 }),
      client.call('org.example.bad.BadFd'),
      client.call('org.example.bad.Add', { a: 2, b: 3 }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.parameters : (r.reason as VarlinkError).error))).toEqual([
      VARLINK_INTERNAL_ERROR,
      { sum: 3 },
      VARLINK_INTERNAL_ERROR,
      { sum: 5 },
    ]);
    expect(errors[0]).toMatch(/BadFd/);
    await client.close();
    await done;
  });

  it('fails only the client call that passes a closed Fd; the calls around it are answered', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'socketpair', { client: { fds: true }, serve: { fds: true } });
    const closed = new Fd(openSync('/dev/null', 'r'));
    closed.close();
    const before = client.call('org.example.bad.Add', { a: 1, b: 1 });
    const bad = client.call('org.example.bad.Add', { a: 1, b: 2 }, { fds: [closed] });
    const after = client.call('org.example.bad.Add', { a: 2, b: 2 });
    await expect(bad).rejects.toThrow(VarlinkUsageError);
    await expect(bad).rejects.toThrow(/fd 0 of the message is closed/);
    await expect(before).resolves.toMatchObject({ parameters: { sum: 2 } });
    await expect(after).resolves.toMatchObject({ parameters: { sum: 4 } });
    expect(client.closed).toBe(false);
    await client.close();
    await done;
  });

  it.each([
    ['a fraction', 1.5],
    ['a negative number', -1],
    ['a string', 'abc'],
  ])('fails only the client call whose fd is %s', async (_name, fd) => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'socketpair', { client: { fds: true }, serve: { fds: true } });
    await expect(client.call('org.example.bad.Add', { a: 1, b: 2 }, { fds: [fd as number] })).rejects.toThrow(
      /fd 0 of the message is not a file descriptor/,
    );
    await expect(client.call('org.example.bad.Add', { a: 1, b: 2 })).resolves.toMatchObject({ parameters: { sum: 3 } });
    await client.close();
    await done;
  });

  it('fails only the client call whose fd number is not open (EBADF); the connection stays usable', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'socketpair', { client: { fds: true }, serve: { fds: true } });
    const bad = client.call('org.example.bad.Add', { a: 1, b: 2 }, { fds: [2 ** 20] });
    const after = client.call('org.example.bad.Add', { a: 4, b: 4 });
    await expect(bad).rejects.toThrow(VarlinkUsageError);
    await expect(bad).rejects.toMatchObject({ cause: { code: 'EBADF' } });
    await expect(after).resolves.toMatchObject({ parameters: { sum: 8 } });
    expect(client.closed).toBe(false);
    await client.close();
    await done;
  });
});

describe('client calls that cannot be made', () => {
  it.each<[string, unknown]>([
    ['an array', [1, 2]],
    ['a number', 5],
    ['a string', 'x'],
  ])('refuses parameters that are %s locally, and the connection stays usable', async (_name, params) => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'memory');
    const err = await client.call('org.example.bad.Add', params as Record<string, unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarlinkUsageError);
    expect((err as VarlinkUsageError).code).toBe('ERR_VARLINK_USAGE');
    await expect(client.send('org.example.bad.Add', params as Record<string, unknown>)).rejects.toThrow(/must be an object/);
    await expect(client.stream('org.example.bad.Stream', params as Record<string, unknown>).next()).rejects.toThrow(
      /must be an object/,
    );
    await expect(client.call('org.example.bad.Add', { a: 1, b: 2 })).resolves.toMatchObject({ parameters: { sum: 3 } });
    await client.close();
    await done;
  });

  it('accepts null parameters as none', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'memory');
    await expect(client.call('org.varlink.service.GetInfo', null as unknown as undefined)).resolves.toMatchObject({
      parameters: { vendor: 'v' },
    });
    await client.close();
    await done;
  });

  it.each(['Add', 'org example.Add', 'org.example.bad.add', '.Add', 'org.example.bad.'])(
    'refuses the method name %j locally',
    async (method) => {
      const { service } = makeService();
      const { client, done } = connectPair(service, 'memory');
      await expect(client.call(method)).rejects.toThrow(/not a qualified Varlink method name/);
      await expect(client.call('org.example.bad.Add', { a: 0, b: 1 })).resolves.toMatchObject({ parameters: { sum: 1 } });
      await client.close();
      await done;
    },
  );
});

describe('int parameters written as decimal strings', () => {
  it('reach the handler as numbers, or bigints beyond 2^53, at every depth', async () => {
    const { service, seen } = makeService();
    const { client, done } = connectPair(service, 'memory');
    await client.call('org.example.bad.Ints', {
      list: ['1', 2, '-3', '-0'],
      map: { a: '10', __proto__x: '11', big: '18446744073709551615' },
      opt: '7',
      node: { n: '1', next: { n: '-9223372036854775808', next: null } },
      anyv: '12',
    });
    expect(seen).toHaveLength(1);
    const p = seen[0] as Record<string, unknown>;
    expect(p['list']).toEqual([1, 2, -3, 0]);
    expect(Object.is((p['list'] as number[])[3], 0)).toBe(true);
    expect(p['map']).toEqual({ a: 10, __proto__x: 11, big: 18446744073709551615n });
    expect(p['opt']).toBe(7);
    expect(p['node']).toEqual({ n: 1, next: { n: -9223372036854775808n, next: null } });
    // `any` is not int: left as the peer wrote it.
    expect(p['anyv']).toBe('12');
    await client.close();
    await done;
  });

  it('gives Add a number sum for {a: "1", b: 2} (not the string "12")', async () => {
    const { service } = makeService();
    const { client, done } = connectPair(service, 'memory');
    await expect(client.call('org.example.bad.Add', { a: '1', b: 2 })).resolves.toMatchObject({ parameters: { sum: 3 } });
    await client.close();
    await done;
  });

  it('converts a map key "__proto__" as a plain key, without touching the prototype', async () => {
    const { service, seen } = makeService();
    const [a, b] = transportPair('memory');
    const done = service.serve(b);
    const raw = rawPeer(a);
    await raw.write(
      '{"method":"org.example.bad.Ints","parameters":{"list":[],"map":{"__proto__":"5"},"node":{"n":1},"anyv":1}}\0',
    );
    await expect.poll(() => raw.replies().length).toBe(1);
    const map = (seen[0] as Record<string, Record<string, unknown>>)['map']!;
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe(5);
    a.destroy();
    await done;
  });
});

describe('a call nested deeper than the JSON limit', () => {
  it('closes only that connection, after answering the calls before it', async () => {
    const { service } = makeService();
    const [a, b] = transportPair('socketpair');
    const done = service.serve(b);
    const other = connectPair(service, 'memory');
    const raw = rawPeer(a);
    const deep = `${'['.repeat(VARLINK_JSON_MAX_DEPTH + 1)}${']'.repeat(VARLINK_JSON_MAX_DEPTH + 1)}`;
    await raw.write(
      `{"method":"org.example.bad.Add","parameters":{"a":1,"b":2}}\0{"method":"org.example.bad.Ints","parameters":{"anyv":${deep}}}\0`,
    );
    await raw.ended;
    await done;
    expect(raw.replies()).toEqual([{ parameters: { sum: 3 } }]);
    a.destroy();
    await expect(other.client.call('org.example.bad.Add', { a: 1, b: 1 })).resolves.toMatchObject({ parameters: { sum: 2 } });
    await other.client.close();
    await other.done;
  });
});
