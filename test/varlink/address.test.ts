import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listen as unixListen } from '../../src/transport/unix-listener.js';
import { nativeAddon } from '../../src/transport/native.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { parseVarlinkAddress, VarlinkAddressError } from '../../src/varlink/address.js';
import { activationFds, varlinkActivationFd } from '../../src/varlink/socket-activation.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { fdText } from '../support/fd-files.js';
import { tempDir } from '../support/temp-dir.js';
import { testService } from './test-interface.js';

expectNoFdLeaks();

describe('parsing addresses', () => {
  it.each([
    ['unix:/run/org.example.ftl', { kind: 'unix', path: '/run/org.example.ftl' }],
    ['unix:@org.example.ftl', { kind: 'unix', path: '@org.example.ftl' }],
    ['unix:/run/x;mode=0666', { kind: 'unix', path: '/run/x' }],
    ['tcp:localhost:12345', { kind: 'tcp', host: 'localhost', port: 12345 }],
    ['tcp:127.0.0.1:1', { kind: 'tcp', host: '127.0.0.1', port: 1 }],
    ['tcp:[::1]:12345', { kind: 'tcp', host: '::1', port: 12345 }],
    ['exec:/usr/bin/service;ignored', { kind: 'exec', path: '/usr/bin/service' }],
  ])('%s', (text, parsed) => {
    expect(parseVarlinkAddress(text)).toEqual(parsed);
  });

  it.each(['/run/x', 'unix:', 'unix:@', 'tcp:host', 'tcp:host:99999', 'ws://x', 'exec:'])('rejects %s', (text) => {
    expect(() => parseVarlinkAddress(text)).toThrow(VarlinkAddressError);
  });
});

describe('listening and connecting', () => {
  it('serves on a socket path with the requested mode', async () => {
    const tmp = tempDir('varlink-sock');
    const path = join(tmp.dir, 'svc.sock');
    const { service } = testService();
    const server = await service.listen(`unix:${path}`, { mode: 0o660 });
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const client = await VarlinkClient.connect(`unix:${path}`);
    expect((await client.call('org.example.test.Echo', { value: 'path' })).parameters).toEqual({ value: 'path' });
    expect(client.peerCredentials()?.pid).toBe(process.pid);
    await client.close();
    await server.close();
    tmp.remove();
  });

  it('serves on an abstract socket name', async () => {
    const name = `@varlink-test-${process.pid}-${Date.now()}`;
    const { service } = testService();
    const server = await service.listen(`unix:${name}`);
    const client = await VarlinkClient.connect(`unix:${name}`);
    expect((await client.call('org.example.test.Echo', { value: 'abstract' })).parameters).toEqual({ value: 'abstract' });
    await client.close();
    await server.close();
  });

  it('closing one server closes only the connections it accepted, not those of another server of the service', async () => {
    const { service } = testService();
    const a = `@varlink-a-${process.pid}-${Date.now()}`;
    const b = `@varlink-b-${process.pid}-${Date.now()}`;
    const serverA = await service.listen(`unix:${a}`);
    const serverB = await service.listen(`unix:${b}`);
    const clientA = await VarlinkClient.connect(`unix:${a}`);
    const clientB = await VarlinkClient.connect(`unix:${b}`);
    await clientA.call('org.example.test.Echo', { value: 'a' });
    await clientB.call('org.example.test.Echo', { value: 'b' });
    await serverA.close();
    await expect(clientA.call('org.example.test.Echo', { value: 'a2' })).rejects.toThrow();
    expect((await clientB.call('org.example.test.Echo', { value: 'b2' })).parameters).toEqual({ value: 'b2' });
    await clientA.close();
    await clientB.close();
    await serverB.close();
  });

  it('serves over TCP, where fds cannot travel', async () => {
    const { service } = testService();
    // The address does not report a port chosen by the kernel, so pick a free one first.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const server = await service.listen(`tcp:127.0.0.1:${port}`);
    const client = await VarlinkClient.connect(`tcp:127.0.0.1:${port}`);
    const results = await Promise.all([
      client.call('org.example.test.Echo', { value: 'tcp' }),
      client.call('org.example.test.Add', { a: 1, b: 2 }),
    ]);
    expect(results.map((r) => r.parameters)).toEqual([{ value: 'tcp' }, { sum: 3 }]);
    expect(client.peerCredentials()).toBeNull();
    const count = [];
    for await (const r of client.stream('org.example.test.Count', { n: 3 })) count.push(r.parameters['i']);
    expect(count).toEqual([1, 2, 3]);
    await client.close();
    await server.close();
  });

  it('serves an inherited listening fd', async () => {
    const name = `@varlink-test-fd-${process.pid}-${Date.now()}`;
    const listener = await unixListen(name);
    const { service } = testService();
    const server = await service.listen({ fd: listener.fd });
    const client = await VarlinkClient.connect(`unix:${name}`);
    expect((await client.call('org.example.test.Echo', { value: 'fd' })).parameters).toEqual({ value: 'fd' });
    await client.close();
    await server.close();
    await listener.close();
  });

  it('serves an inherited connected fd as its only connection, with fds', async () => {
    const [ours, theirs] = socketPair();
    const { service } = testService();
    // A plain fd number, as socket activation passes it (the service takes it over).
    const fd = nativeAddon().dup(theirs.fd);
    theirs.destroy();
    const server = await service.listen({ fd }, { fds: true });
    const client = new VarlinkClient(ours, { fds: true });
    const r = await client.call('org.example.test.OpenFds', { texts: ['over activation'] });
    expect(r.fds.map((f) => fdText(f))).toEqual(['over activation']);
    for (const f of r.fds) f.close();
    await client.close();
    await server.closed;
  });
});

describe('socket activation variables', () => {
  it('reads fds meant for this process, with names', () => {
    const env = { LISTEN_PID: String(process.pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'other:varlink' };
    const fds = activationFds(env, { unset: true });
    expect(fds).toEqual([
      { fd: 3, name: 'other' },
      { fd: 4, name: 'varlink' },
    ]);
    expect(varlinkActivationFd(fds ?? [])).toBe(4);
    expect(env).toEqual({});
  });

  it('ignores variables meant for another process', () => {
    expect(activationFds({ LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' })).toBeUndefined();
    expect(activationFds({ LISTEN_FDS: '1' })).toBeUndefined();
  });

  it('takes the only fd when it has no name, and none of several unnamed ones', () => {
    expect(varlinkActivationFd([{ fd: 3, name: 'unknown' }])).toBe(3);
    expect(varlinkActivationFd([{ fd: 3, name: 'a' }, { fd: 4, name: 'b' }])).toBeUndefined();
  });
});
