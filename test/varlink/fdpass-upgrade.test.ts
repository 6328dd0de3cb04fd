import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { RequestTimeoutError } from '../../src/jsonrpc/request-timeout-error.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { FdPassUpgradeError } from '../../src/varlink/fdpass-upgrade-error.js';
import { FDPASS_UNSUPPORTED_CODEC_ERROR } from '../../src/varlink/fdpass-upgrade-protocol.js';
import { fdPassUpgrade, type FdPassUpgradeHandler } from '../../src/varlink/fdpass-upgrade-service.js';
import { UpgradeNotSupportedError } from '../../src/varlink/upgrade-not-supported-error.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkError } from '../../src/varlink/varlink-error.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { VarlinkUsageError } from '../../src/varlink/varlink-usage-error.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';
import { rawPeer, transportPair, type PairKind } from './helpers.js';

const IDL = `interface org.example.up

method Echo(value: string) -> (value: string)

# Switches the connection to jsonrpc-fdpass.
# [Requires 'upgrade' flag]
method Connect(name: string, codecs: ?[]string) -> (protocol: string, codec: string)

error Refused (why: string)
`;

const CONNECT = 'org.example.up.Connect';

let baseline: ReadonlySet<number> = new Set();
beforeEach(() => {
  baseline = openFds();
});
afterEach(async () => {
  await expectNoNewFds(baseline);
});

/** A peer handler set every accepted connection gets: reads fds, opens files, calls back. */
function acceptor(peers: JsonRpcPeer[]): ReturnType<FdPassUpgradeHandler> {
  return (peer) => {
    peers.push(peer);
    peer.handle('read', (_params, ctx) => ctx.fds.map((fd) => fdText(fd)));
    peer.handle('open', (params) => {
      const texts = params as string[];
      return withFds(texts.length, texts.map((t) => textFd(t)));
    });
  };
}

function service(connect: FdPassUpgradeHandler): VarlinkService {
  return new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
    Echo: (p) => ({ value: p['value'] }),
    Connect: fdPassUpgrade(connect),
  });
}

function pair(svc: VarlinkService, kind: PairKind): { client: VarlinkClient; done: Promise<void> } {
  const [a, b] = transportPair(kind);
  const done = svc.serve(b);
  return { client: new VarlinkClient(a), done };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(5);
}

describe.each<PairKind>(['memory', 'socketpair'])('upgrade into jsonrpc-fdpass over %s', (kind) => {
  it('turns the Varlink client into a JSON-RPC peer that passes fds both ways', async () => {
    const peers: JsonRpcPeer[] = [];
    let seen: { name: unknown; codec: string } | undefined;
    const { client, done } = pair(
      service((params, ctx) => {
        seen = { name: params['name'], codec: ctx.codec };
        return acceptor(peers);
      }),
      kind,
    );
    const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' });
    expect(seen).toEqual({ name: 'a', codec: 'json' });
    expect(client.closed).toBe(true);
    await done;
    using one = textFd('one');
    using two = textFd('two');
    expect((await peer.request('read', [], { fds: [one, two] })).result).toEqual(['one', 'two']);
    const opened = await peer.request('open', ['x', 'y', 'z']);
    expect(opened.result).toBe(3);
    expect(opened.fds.map((f) => fdText(f))).toEqual(['x', 'y', 'z']);
    Fd.closeAll(opened.fds);
    await peer.close();
    await peers[0]?.whenClosed;
  });

  it('lets the service speak first: a call sent right after the confirming reply reaches handlers given in peer options', async () => {
    const got: string[] = [];
    const { client, done } = pair(
      service(() => (peer) => {
        const f = textFd('from the service');
        void peer
          .request('hello', { n: 1 }, { fds: [f] })
          .then((r) => got.push(`answered ${String(r.result)}`), () => undefined)
          .finally(() => f.close());
      }),
      kind,
    );
    const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' }, {
      peer: { handlers: { hello: (_p, ctx) => (got.push(fdText(ctx.fds[0]!)), 'hi') } },
    });
    await done;
    await until(() => got.length === 2);
    expect(got).toEqual(['from the service', 'answered hi']);
    await peer.close();
  });

  it('negotiates the codec from the offered list: the client\'s preference wins', async () => {
    let codec: string | undefined;
    const { client } = pair(
      service((_p, ctx) => {
        codec = ctx.codec;
        return () => undefined;
      }),
      kind,
    );
    const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' }, { codecs: ['json', 'msgpack'] });
    expect(codec).toBe('json');
    await peer.close();
  });

  it('settles for JSON with a service that does not agree to msgpack', async () => {
    let codec: string | undefined;
    const svc = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
      Echo: (p) => ({ value: p['value'] }),
      Connect: fdPassUpgrade(
        (_p, ctx) => {
          codec = ctx.codec;
          return (peer) => peer.handle('ping', () => 'pong');
        },
        { codecs: ['json'] },
      ),
    });
    const { client } = pair(svc, kind);
    const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' }, { codecs: ['msgpack', 'json'] });
    expect(codec).toBe('json');
    expect((await peer.request('ping')).result).toBe('pong');
    await peer.close();
  });

  it('rejects a refused upgrade with the VarlinkError and keeps the client a working Varlink connection', async () => {
    const { client, done } = pair(
      service(() => {
        throw new VarlinkError('org.example.up.Refused', { why: 'no' });
      }),
      kind,
    );
    const err = await client.upgradeToFdPass(CONNECT, { name: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarlinkError);
    expect((err as VarlinkError).error).toBe('org.example.up.Refused');
    expect(client.closed).toBe(false);
    expect((await client.call('org.example.up.Echo', { value: 'still varlink' })).parameters).toEqual({ value: 'still varlink' });
    await client.close();
    await done;
  });

  it('answers UnsupportedCodec when no offered codec is known, and the connection stays Varlink', async () => {
    const svc = service(() => () => undefined);
    const [a, b] = transportPair(kind);
    const done = svc.serve(b);
    const raw = rawPeer(a);
    await raw.write(
      `{"method":"${CONNECT}","parameters":{"name":"a","codecs":["cbor"]},"upgrade":true}\0` +
        '{"method":"org.example.up.Echo","parameters":{"value":"after"}}\0',
    );
    await until(() => raw.replies().length === 2);
    expect(raw.replies()).toEqual([
      { error: FDPASS_UNSUPPORTED_CODEC_ERROR, parameters: { supported: ['json', 'msgpack'] } },
      { parameters: { value: 'after' } },
    ]);
    await a.close();
    await done;
  });

  it('answers ExpectedUpgrade to a call without the upgrade flag', async () => {
    const { client, done } = pair(service(() => () => undefined), kind);
    const err = await client.call(CONNECT, { name: 'a' }).catch((e: unknown) => e);
    expect((err as VarlinkError).error).toBe('org.varlink.service.ExpectedUpgrade');
    expect((await client.call('org.example.up.Echo', { value: 'ok' })).parameters).toEqual({ value: 'ok' });
    await client.close();
    await done;
  });

  it('hands bytes and fds a client pipelined after the upgrade call to the service peer, in order', async () => {
    const peers: JsonRpcPeer[] = [];
    const svc = service(() => acceptor(peers));
    const [a, b] = transportPair(kind);
    const done = svc.serve(b);
    const raw = rawPeer(a);
    using one = textFd('early one');
    using two = textFd('early two');
    // A non-strict client: the call, then at once two JSON-RPC requests, the second with two fds.
    await raw.write(`{"method":"${CONNECT}","parameters":{"name":"a"},"upgrade":true}\0`);
    await raw.write('{"jsonrpc":"2.0","id":1,"method":"read","params":[]}');
    await raw.write('{"jsonrpc":"2.0","id":2,"method":"read","params":[],"fds":2}', [one, two]);
    await done;
    const text = (): string => raw.received().toString('utf8');
    await until(() => text().includes('"id":2'));
    const [reply, rest] = text().split('\0');
    expect(JSON.parse(reply!)).toEqual({ parameters: { protocol: 'jsonrpc-fdpass', codec: 'json' } });
    expect(rest).toBe('{"jsonrpc":"2.0","id":1,"result":[]}{"jsonrpc":"2.0","id":2,"result":["early one","early two"]}');
    await a.close();
    await peers[0]?.whenClosed;
  });

  it('reports a service that closes instead of replying (pre-v261 systemd) as UpgradeNotSupportedError', async () => {
    const [a, b] = transportPair(kind);
    // An old service: reads the call, finds an unknown key, hangs up.
    b.start({
      data: (_bytes, fds) => {
        Fd.closeAll(fds);
        b.destroy();
      },
      end: () => undefined,
      error: () => undefined,
      close: () => undefined,
    });
    const client = new VarlinkClient(a);
    const err = await client.upgradeToFdPass(CONNECT, { name: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpgradeNotSupportedError);
    expect((err as Error).message).toMatch(/^upgrade not supported by the service/);
    expect((err as UpgradeNotSupportedError).code).toBe('ERR_VARLINK_UPGRADE_NOT_SUPPORTED');
    expect(client.closed).toBe(true);
  });

  it('refuses other calls while the upgrade call waits for its reply', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, done } = pair(
      service(async () => {
        await gate;
        return () => undefined;
      }),
      kind,
    );
    const upgrading = client.upgradeToFdPass(CONNECT, { name: 'a' });
    await expect(client.call('org.example.up.Echo', { value: 'x' })).rejects.toBeInstanceOf(VarlinkUsageError);
    await expect(client.send('org.example.up.Echo', { value: 'x' })).rejects.toBeInstanceOf(VarlinkUsageError);
    release();
    const peer = await upgrading;
    await done;
    await peer.close();
  });

  /** A slow upgrade handler: the client gives up first; the service only sees EOF once it upgraded. */
  function slowService(peers: JsonRpcPeer[]): { svc: VarlinkService; started: () => boolean } {
    let started = false;
    const svc = service(async () => {
      started = true;
      await sleep(100);
      return acceptor(peers);
    });
    return { svc, started: () => started };
  }

  it('closes the connection when the caller aborts during the handshake', async () => {
    const peers: JsonRpcPeer[] = [];
    const { svc, started } = slowService(peers);
    const { client, done } = pair(svc, kind);
    const ac = new AbortController();
    const upgrading = client.upgradeToFdPass(CONNECT, { name: 'a' }, { signal: ac.signal });
    await until(started);
    ac.abort(new Error('changed my mind'));
    await expect(upgrading).rejects.toThrow('changed my mind');
    expect(client.closed).toBe(true);
    await done;
    // The service upgraded into a connection nobody holds: its peer sees EOF and closes.
    await until(() => peers.length === 1);
    await peers[0]?.whenClosed;
  });

  it('closes the connection and rejects with RequestTimeoutError when the reply is late', async () => {
    const peers: JsonRpcPeer[] = [];
    const { client, done } = pair(slowService(peers).svc, kind);
    await expect(client.upgradeToFdPass(CONNECT, { name: 'a' }, { timeoutMs: 20 })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(client.closed).toBe(true);
    await done;
    await until(() => peers.length === 1);
    await peers[0]?.whenClosed;
  });

  it('closes the peer when the acceptor throws, which the client sees as a closed connection', async () => {
    const errors: string[] = [];
    const svc = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
      Connect: fdPassUpgrade(
        () => () => {
          throw new Error('setup failed');
        },
        { onError: (err, method) => errors.push(`${method}: ${err.message}`) },
      ),
    });
    const { client, done } = pair(svc, kind);
    const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' });
    await done;
    expect(errors).toEqual([`${CONNECT}: setup failed`]);
    await expect(peer.request('read', [])).rejects.toBeInstanceOf(ConnectionClosedError);
    await peer.whenClosed;
  });

  it('reports an async acceptor that rejects like one that throws, instead of an unhandled rejection', async () => {
    const errors: string[] = [];
    const svc = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
      Connect: fdPassUpgrade(
        () => async () => {
          await sleep(1);
          throw new Error('late setup failed');
        },
        { onError: (err, method) => errors.push(`${method}: ${err.message}`) },
      ),
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let peer: JsonRpcPeer | undefined;
    try {
      const { client, done } = pair(svc, kind);
      peer = await client.upgradeToFdPass(CONNECT, { name: 'a' });
      await done;
      await Promise.race([peer.whenClosed, sleep(2000)]);
      await sleep(10);
      expect(unhandled).toEqual([]);
      expect(errors).toEqual([`${CONNECT}: late setup failed`]);
      expect(peer.closed).toBe(true);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await peer?.close();
    }
  });
});

describe('peer options the upgraded connection cannot be built with', () => {
  it('service side: closes the handed-over socket and the fds the client sent after the call', async () => {
    const svc = new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
      Connect: fdPassUpgrade(() => () => undefined, { peer: { highWaterMark: Number.NaN } }),
    });
    const [a, b] = transportPair('socketpair');
    const done = svc.serve(b);
    const raw = rawPeer(a);
    using early = textFd('early');
    await raw.write(`{"method":"${CONNECT}","parameters":{"name":"a"},"upgrade":true}\0`);
    await raw.write('{"jsonrpc":"2.0","method":"read","fds":1}', [early]);
    await done;
    await raw.closed;
  });

  it('client side: rejects, closing the socket and the fds read past the reply', async () => {
    const svc = service(() => () => undefined);
    const [a, b] = transportPair('socketpair');
    const done = svc.serve(b);
    const client = new VarlinkClient(a);
    const err = await client.upgradeToFdPass(CONNECT, { name: 'a' }, { peer: { highWaterMark: Number.NaN } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^highWaterMark must be a number/);
    await done;
  });
});

it('gives the upgrade handler the Varlink fds sent with the upgrade call', async () => {
  let text: string | undefined;
  const svc = service((_p, ctx) => {
    text = fdText(ctx.fds[0]!);
    return () => undefined;
  });
  const [a, b] = transportPair('socketpair');
  const done = svc.serve(b, { fds: true });
  const client = new VarlinkClient(a, { fds: true });
  const f = textFd('credential');
  const peer = await client.upgradeToFdPass(CONNECT, { name: 'a' }, { fds: [f] });
  f.close();
  expect(text).toBe('credential');
  await done;
  await peer.close();
});

describe('confirming replies this client cannot follow', () => {
  /** A fake service that answers the first call with `reply` (and `fds`), then collects what follows. */
  function fakeService(kind: PairKind, reply: string, fds: () => Fd[] = () => []): { client: VarlinkClient; closed: Promise<void> } {
    const [a, b] = transportPair(kind);
    let answered = false;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    b.start({
      data: (_bytes, got) => {
        Fd.closeAll(got);
        if (answered) return;
        answered = true;
        const attached = fds();
        void b.write(Buffer.from(`${reply}\0`), attached).finally(() => Fd.closeAll(attached));
      },
      end: () => void b.close(),
      error: () => undefined,
      close: () => resolveClosed(),
    });
    return { client: new VarlinkClient(a, { fds: true }), closed };
  }

  it.each<[string, string, string]>([
    ['protocol', '{"parameters":{"protocol":"something-else","codec":"json"}}', 'something-else'],
    ['protocol', '{}', 'null'],
    ['codec', '{"parameters":{"protocol":"jsonrpc-fdpass","codec":"msgpack"}}', 'msgpack'],
  ])('rejects with FdPassUpgradeError (%s) for %s and closes the socket', async (reason, reply, mention) => {
    const { client, closed } = fakeService('socketpair', reply);
    const err = await client.upgradeToFdPass(CONNECT, { name: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FdPassUpgradeError);
    expect((err as FdPassUpgradeError).reason).toBe(reason);
    expect((err as Error).message).toContain(mention);
    await closed;
  });

  it('reports a service that hangs up without reading the call (a reset) as UpgradeNotSupportedError', async () => {
    const [a, b] = transportPair('socketpair');
    const client = new VarlinkClient(a);
    const upgrading = client.upgradeToFdPass(CONNECT, { name: 'a' });
    // Closing with the call still unread in its receive queue makes the kernel reset the connection.
    await sleep(10);
    b.destroy();
    const err = await upgrading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpgradeNotSupportedError);
    expect(((err as Error).cause as Error).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects a confirming reply that carries fds, closing them', async () => {
    const { client, closed } = fakeService('socketpair', '{"parameters":{"protocol":"jsonrpc-fdpass","codec":"json"}}', () => [
      textFd('stray'),
      textFd('stray'),
    ]);
    const err = await client.upgradeToFdPass(CONNECT, { name: 'a' }).catch((e: unknown) => e);
    expect((err as FdPassUpgradeError).reason).toBe('fds');
    await closed;
  });

  it('refuses to offer a codec it cannot speak, or none, sending nothing', async () => {
    const [a, b] = transportPair('memory');
    const raw = rawPeer(b);
    const client = new VarlinkClient(a);
    await expect(client.upgradeToFdPass(CONNECT, {}, { codecs: ['cbor', 'json'] })).rejects.toBeInstanceOf(VarlinkUsageError);
    await expect(client.upgradeToFdPass(CONNECT, {}, { codecs: [] })).rejects.toBeInstanceOf(VarlinkUsageError);
    await client.close();
    await raw.ended;
    expect(raw.received().length).toBe(0);
    await b.close();
  });
});

describe('IDL checks for fdPassUpgrade methods', () => {
  const make = (method: string): (() => VarlinkService) => () =>
    new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(
      `interface org.example.bad\n\n${method}\n`,
      { M: fdPassUpgrade(() => () => undefined) },
    );

  it.each<[string, string, RegExp]>([
    ['without the upgrade marker', 'method M() -> (protocol: string, codec: string)', /Requires 'upgrade' flag/],
    ['without protocol', "# [Requires 'upgrade' flag]\nmethod M() -> (codec: string)", /protocol: string/],
    ['with codec of another type', "# [Requires 'upgrade' flag]\nmethod M() -> (protocol: string, codec: int)", /codec: string/],
    ['with a required extra output', "# [Requires 'upgrade' flag]\nmethod M() -> (protocol: string, codec: string, x: int)", /x.*nullable/],
    ['with codecs of the wrong type', "# [Requires 'upgrade' flag]\nmethod M(codecs: []string) -> (protocol: string, codec: string)", /codecs: \?\[\]string/],
  ])('refuses a method %s', (_what, method, message) => {
    expect(make(method)).toThrow(VarlinkUsageError);
    expect(make(method)).toThrow(message);
  });

  it('accepts nullable extra outputs and no codecs parameter', () => {
    expect(make("# [Requires 'upgrade' flag]\nmethod M(x: int) -> (protocol: string, codec: string, note: ?string)")).not.toThrow();
  });
});
