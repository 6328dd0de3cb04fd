import { Packr } from 'msgpackr';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MSGPACK_FILLER } from '../../src/codec/msgpack-skipper.js';
import type { JsonRpcPeer } from '../../src/jsonrpc/peer.js';
import { withFds } from '../../src/jsonrpc/with-fds.js';
import { Fd } from '../../src/transport/fd.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { availableFdPassCodecs } from '../../src/varlink/fdpass-upgrade-protocol.js';
import { fdPassUpgrade, type FdPassUpgradeHandler } from '../../src/varlink/fdpass-upgrade-service.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkService } from '../../src/varlink/varlink-service.js';
import { expectNoNewFds, openFds } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';
import { transportPair, type PairKind } from './helpers.js';

const IDL = `interface org.example.mp

# [Requires 'upgrade' flag]
method Connect(codecs: ?[]string) -> (protocol: string, codec: string)
`;
const CONNECT = 'org.example.mp.Connect';
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

let baseline: ReadonlySet<number> = new Set();
beforeEach(() => {
  baseline = openFds();
});
afterEach(async () => {
  await expectNoNewFds(baseline);
});

function service(connect: FdPassUpgradeHandler): VarlinkService {
  return new VarlinkService({ vendor: 'v', product: 'p', version: '1', url: 'u' }).addInterface(IDL, {
    Connect: fdPassUpgrade(connect),
  });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(5);
}

it('speaks msgpack here (msgpackr is installed), so the service offers it', () => {
  expect(availableFdPassCodecs()).toEqual(['json', 'msgpack']);
});

describe.each<PairKind>(['memory', 'socketpair'])('an upgrade negotiating msgpack over %s', (kind) => {
  it('builds both peers with msgpack; calls in both directions carry fds', async () => {
    const serverPeers: JsonRpcPeer[] = [];
    let codec: string | undefined;
    const svc = service((_p, ctx) => {
      codec = ctx.codec;
      return (peer) => {
        serverPeers.push(peer);
        peer.handle('read', (_params, c) => c.fds.map((fd) => fdText(fd)));
        peer.handle('open', (params) => withFds('opened', (params as string[]).map((t) => textFd(t))));
      };
    });
    const [a, b] = transportPair(kind);
    const done = svc.serve(b);
    const client = new VarlinkClient(a);
    const peer = await client.upgradeToFdPass(CONNECT, {}, { codecs: ['msgpack', 'json'] });
    await done;
    expect(codec).toBe('msgpack');
    using one = textFd('one');
    expect((await peer.request('read', [], { fds: [one] })).result).toEqual(['one']);
    const opened = await peer.request('open', Array.from({ length: 300 }, (_, i) => `f${i}`));
    expect(opened.fds.map((fd) => fdText(fd))).toEqual(Array.from({ length: 300 }, (_, i) => `f${i}`));
    Fd.closeAll(opened.fds);
    await peer.close();
    await serverPeers[0]?.whenClosed;
  });
});

describe('the msgpack upgrade on the wire', () => {
  /** The client side driven by hand over a real socketpair. */
  function rawClient(): { write(bytes: Buffer): Promise<void>; received(): Buffer; done: Promise<void>; close(): Promise<void> } {
    const [a, b] = socketPair();
    const done = service(() => (peer) => peer.handle('ping', (params) => ({ pong: params }))).serve(b);
    const chunks: Buffer[] = [];
    a.start({ data: (bytes, fds) => (chunks.push(Buffer.from(bytes)), Fd.closeAll(fds)), end() {}, error() {}, close() {} });
    return { write: (bytes) => a.write(bytes), received: () => Buffer.concat(chunks), done, close: () => a.close() };
  }

  it('names msgpack in the confirming reply, then answers a msgpack request in msgpack', async () => {
    const raw = rawClient();
    await raw.write(Buffer.from(`{"method":"${CONNECT}","parameters":{"codecs":["msgpack"]},"upgrade":true}\0`));
    await until(() => raw.received().includes(0));
    const nul = raw.received().indexOf(0);
    expect(JSON.parse(raw.received().subarray(0, nul).toString())).toEqual({ parameters: { protocol: 'jsonrpc-fdpass', codec: 'msgpack' } });
    // Filler before and between messages is 0xc1, never a space.
    const request = packr.pack({ jsonrpc: '2.0', id: 7, method: 'ping', params: { n: 1 } });
    await raw.write(Buffer.concat([Buffer.from([MSGPACK_FILLER]), request, Buffer.from([MSGPACK_FILLER])]));
    await until(() => raw.received().length > nul + 1);
    expect(packr.unpack(raw.received().subarray(nul + 1))).toEqual({ jsonrpc: '2.0', id: 7, result: { pong: { n: 1 } } });
    await raw.close();
    await raw.done;
  });

  it('answers JSON text after a msgpack upgrade with a msgpack -32050 and closes', async () => {
    const raw = rawClient();
    await raw.write(Buffer.from(`{"method":"${CONNECT}","parameters":{"codecs":["msgpack"]},"upgrade":true}\0`));
    await until(() => raw.received().includes(0));
    const nul = raw.received().indexOf(0);
    await raw.write(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'));
    await raw.done;
    await until(() => raw.received().length > nul + 1);
    expect(packr.unpack(raw.received().subarray(nul + 1))).toEqual({
      jsonrpc: '2.0',
      error: { code: -32050, message: 'File Descriptor Error', data: { reason: 'framing' } },
      id: null,
    });
    await raw.close();
  });
});
