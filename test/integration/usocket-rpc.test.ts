// JSON-RPC interop with usocket (an independent fd-passing addon for Node): its client sends real
// jsonrpc-fdpass requests, one with a file's fd, to our listenPeers server and reads the answers.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { echoHandlers } from '../../src/conformance/echo-service.js';
import { JsonScanner } from '../../src/codec/json-scanner.js';
import { listenPeers } from '../../src/jsonrpc/server.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';
import { within } from './within.js';

interface USocket extends Duplex {
  write(chunk: { data?: Buffer; fds?: number[]; callback?: () => void }): boolean;
}
const usocket = createRequire(import.meta.url)('usocket') as {
  USocket: new (opts: { path: string }, cb?: () => void) => USocket;
};

/** A usocket client that collects the JSON messages it receives. */
async function usocketClient(path: string): Promise<{ socket: USocket; next(): Promise<Record<string, unknown>> }> {
  const socket = await new Promise<USocket>((resolve, reject) => {
    const s: USocket = new usocket.USocket({ path }, () => resolve(s));
    s.once('error', reject);
  });
  const scanner = new JsonScanner();
  const messages: Array<Record<string, unknown>> = [];
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    scanner.push(chunk);
    for (let v = scanner.next(); v !== null; v = scanner.next()) messages.push(JSON.parse(v.bytes.toString()) as Record<string, unknown>);
    wake?.();
  });
  return {
    socket,
    next: async () => {
      while (messages.length === 0) await within(new Promise<void>((resolve) => (wake = resolve)), 5000, 'usocket response');
      return messages.shift()!;
    },
  };
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('usocket-rpc');
});
afterAll(() => tmp.remove());
expectNoFdLeaks();

it('a usocket client calls readFile with a temp file\'s fd and echo without fds on our server', async () => {
  const file = tmp.path('payload.txt');
  writeFileSync(file, 'read through a passed fd ✓');
  await using server = await listenPeers(tmp.path('rpc.sock'), { handlers: echoHandlers });
  const client = await usocketClient(tmp.path('rpc.sock'));
  try {
    const fd = openSync(file, 'r');
    await new Promise<void>((resolve) =>
      client.socket.write({
        data: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"readFile","params":{},"fds":1}'),
        fds: [fd],
        callback: resolve,
      }),
    );
    closeSync(fd);
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 1, result: 'read through a passed fd ✓' });

    client.socket.write({ data: Buffer.from('{"jsonrpc":"2.0","id":2,"method":"echo","params":{"n":[1,2,3]}}') });
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 2, result: { n: [1, 2, 3] } });

    // Without the fd it announces, the call fails cleanly with -32602 and the connection stays usable.
    client.socket.write({ data: Buffer.from('{"jsonrpc":"2.0","id":3,"method":"readFile","params":{}}') });
    expect(await client.next()).toMatchObject({ id: 3, error: { code: -32602 } });
    client.socket.write({ data: Buffer.from('{"jsonrpc":"2.0","id":4,"method":"echo","params":["ok"]}') });
    expect(await client.next()).toEqual({ jsonrpc: '2.0', id: 4, result: ['ok'] });
    expect(server.peers.size).toBe(1);
  } finally {
    client.socket.destroy();
  }
});
