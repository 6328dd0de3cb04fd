import { describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { memoryTransportPair } from '../../src/transport/memory-transport.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { VarlinkProtocolError } from '../../src/varlink/varlink-protocol-error.js';
import { VarlinkUsageError } from '../../src/varlink/varlink-usage-error.js';
import { connectPair, rawPeer, transportPair, type PairKind } from './helpers.js';
import { testService } from './test-interface.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText, textFd } from '../support/fd-files.js';

expectNoFdLeaks();

describe.each<PairKind>(['memory', 'socketpair'])('fd passing over %s', (kind) => {
  it('sends fds with a call, referred to by index', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { fds: true }, serve: { fds: true } });
    using a = textFd('alpha');
    using b = textFd('beta');
    const r = await client.call('org.example.test.ReadFds', { indices: [1, 0] }, { fds: [a, b] });
    expect(r.parameters).toEqual({ texts: ['beta', 'alpha'] });
    await client.close();
    await done;
  });

  it('receives fds with a reply, owned by the caller', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { fds: true }, serve: { fds: true } });
    const r = await client.call('org.example.test.OpenFds', { texts: ['one', 'two', 'three'] });
    expect(r.parameters).toEqual({ fds: [0, 1, 2] });
    expect(r.fds.map((fd) => fdText(fd))).toEqual(['one', 'two', 'three']);
    for (const fd of r.fds) fd.close();
    await client.close();
    await done;
  });

  it('refuses to send fds on a connection that did not enable sending them, sending nothing', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { fds: { receive: true } }, serve: { fds: true } });
    using a = textFd('alpha');
    await expect(client.call('org.example.test.ReadFds', { indices: [0] }, { fds: [a] })).rejects.toBeInstanceOf(
      VarlinkUsageError,
    );
    // The refused call took no slot: the next reply matches the next call.
    expect((await client.call('org.example.test.Echo', { value: 'still' })).parameters).toEqual({ value: 'still' });
    await client.close();
    await done;
  });

  it('refuses more than 253 fds for one message', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { client: { fds: true }, serve: { fds: true } });
    using a = textFd('x');
    const many = Array.from({ length: 254 }, () => a);
    await expect(client.call('org.example.test.ReadFds', { indices: [] }, { fds: many })).rejects.toBeInstanceOf(
      VarlinkUsageError,
    );
    await client.close();
    await done;
  });

  it('closes a service connection that receives fds without having opted in, leaking none', async () => {
    const { service } = testService();
    const [a, b] = transportPair(kind);
    const done = service.serve(b);
    const raw = rawPeer(a);
    using f = textFd('unwanted');
    await raw.write('{"method":"org.example.test.ReadFds","parameters":{"indices":[0]}}\0', [f]);
    await raw.ended;
    expect(raw.replies()).toEqual([]);
    await done;
    await a.close();
  });

  it('closes a client connection that receives fds without having opted in', async () => {
    const { service } = testService();
    const { client, done } = connectPair(service, kind, { serve: { fds: true } });
    const err = await client.call('org.example.test.OpenFds', { texts: ['a', 'b'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as Error).cause).toBeInstanceOf(VarlinkProtocolError);
    await done;
  });
});

describe('fd association', () => {
  it.each<PairKind>(['memory', 'socketpair'])(
    'attaches fds to the message they came with when an fd-less message is written right before (%s)',
    async (kind) => {
      const { service } = testService();
      const [a, b] = kind === 'memory' ? memoryTransportPair({ coalesce: true }) : socketPair();
      const done = service.serve(b, { fds: true });
      const raw = rawPeer(a);
      using f = textFd('payload');
      // Both writes are queued before the service reads: without reads bounded at the NUL the kernel
      // hands out both messages in one read together with the second one's fd.
      const first = raw.write('{"method":"org.example.test.ReadFds","parameters":{"indices":[]}}\0');
      const second = raw.write('{"method":"org.example.test.ReadFds","parameters":{"indices":[0]}}\0', [f]);
      await Promise.all([first, second]);
      for (let i = 0; i < 100 && raw.replies().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      expect(raw.replies()).toEqual([{ parameters: { texts: [] } }, { parameters: { texts: ['payload'] } }]);
      await a.close();
      await done;
    },
  );

  it('closes the connection when fds arrive with bytes that continue a message', async () => {
    const { service } = testService();
    const [a, b] = socketPair();
    const done = service.serve(b, { fds: true });
    const raw = rawPeer(a);
    using f = textFd('late');
    await raw.write('{"method":"org.example.test.ReadFds",');
    // Let the service read the first part, so the fd-carrying part is a read of its own.
    await new Promise((r) => setTimeout(r, 30));
    await raw.write('"parameters":{"indices":[0]}}\0', [f]);
    await raw.ended;
    expect(raw.replies()).toEqual([]);
    await done;
    await a.close();
  });

  it('keeps fds of a message split across reads with the message', async () => {
    const { service } = testService();
    const [a, b] = memoryTransportPair({ chunkSize: 7 });
    const done = service.serve(b, { fds: true });
    const client = new VarlinkClient(a, { fds: true });
    using f = textFd('chunked');
    const r = await client.call('org.example.test.ReadFds', { indices: [0] }, { fds: [f] });
    expect(r.parameters).toEqual({ texts: ['chunked'] });
    await client.close();
    await done;
  });
});
