// Misbehaving clients against the reference server running in its own process: each gets the -32050
// error response and loses its connection; the server keeps serving and its fd table ends as it began.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import { expectNoNewFds, openFds, processFdCount } from '../support/fd-count.js';
import { textFd } from '../support/fd-files.js';
import { settledFdCount, startEchoChild, type EchoChild } from './echo-child.js';
import { RawClient } from './raw-client.js';

let dir = '';
let server: EchoChild;
let serverFdsBefore = 0;
let ourFdsBefore: ReadonlySet<number> = new Set();

/** A fresh connection still gets `echo` answered. */
async function expectEchoServed(): Promise<void> {
  const client = await RawClient.connect(server.socketPath);
  try {
    await client.write('{"jsonrpc":"2.0","id":7,"method":"echo","params":["still here"]}');
    const [response] = await client.waitMessages(1);
    expect(response).toEqual({ jsonrpc: '2.0', id: 7, result: ['still here'] });
  } finally {
    await client.destroy();
  }
}

/** Sends `send`'s bytes on a new connection; expects the fatal error with `reason`, then the end. */
async function expectFatal(reason: string, send: (client: RawClient) => Promise<void>): Promise<RawClient> {
  const client = await RawClient.connect(server.socketPath);
  try {
    await send(client);
    await client.waitGone();
    // Whatever else came, the last message is the fatal error, and nothing follows it.
    expect(client.messages.at(-1)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32050, message: 'File Descriptor Error', data: { reason } },
      id: null,
    });
    return client;
  } finally {
    await client.destroy();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adversarial-'));
  ourFdsBefore = openFds();
  server = await startEchoChild(join(dir, 'echo.sock'));
  // One served connection first, so fds the runtime opens lazily are in the baseline.
  await expectEchoServed();
  serverFdsBefore = await settledFdCount(server.pid, -1, 200);
}, 30_000);

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  await expectNoNewFds(ourFdsBefore);
});

describe('a serve-echo child facing adversarial peers', () => {
  it('a negative fds count is fatal for that connection only', async () => {
    await expectFatal('invalid-fds', (c) => c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":-1}'));
    await expectEchoServed();
  });

  it('a fractional or non-numeric fds count is fatal for that connection only', async () => {
    await expectFatal('invalid-fds', (c) => c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":1.5}'));
    await expectFatal('invalid-fds', (c) => c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":"1"}'));
    await expectEchoServed();
  });

  it('50,000-deep array nesting is a framing error, not a stack overflow', async () => {
    await expectFatal('framing', (c) => c.write('['.repeat(50_000)));
    await expectEchoServed();
  });

  it('50,000-deep object nesting is a framing error, not a stack overflow', async () => {
    // 250 KB: more than the socket buffers hold, so the server closes while our write still waits.
    await expectFatal('framing', (c) => c.write('{"a":'.repeat(50_000)).catch(() => {}));
    await expectEchoServed();
  });

  it('garbage bytes are a framing error', async () => {
    await expectFatal('framing', (c) => c.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x7b, 0x7d])));
    await expectFatal('framing', (c) => c.write('{"jsonrpc":"2.0","id":1,"method":"echo"} nonsense'));
    await expectEchoServed();
  });

  it('a message short of fds cannot steal the next message\'s fd', async () => {
    const a = textFd('first');
    const b = textFd('second');
    const client = await expectFatal('mismatched-count', async (c) => {
      await c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":2}', [a]);
      await c.write('{"jsonrpc":"2.0","id":2,"method":"echo","fds":1}', [b]);
    });
    a.close();
    b.close();
    // Neither call was answered: the first never got its two fds, the second came after the error.
    expect(client.messages).toHaveLength(1);
  });

  it('the stream ending before the announced fds arrived is a mismatched count', async () => {
    const f = textFd('only one');
    await expectFatal('mismatched-count', async (c) => {
      await c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":3}', [f]);
      await c.socket.end();
    });
    f.close();
    await expectEchoServed();
  });

  it('after the whole barrage the server holds exactly the fds it held before', async () => {
    // Several attacks at once, with fds, on parallel connections.
    const fds: Fd[] = [textFd('x'), textFd('y')];
    await Promise.all([
      expectFatal('invalid-fds', (c) => c.write('{"jsonrpc":"2.0","id":1,"method":"echo","fds":-5}', fds)),
      expectFatal('mismatched-count', async (c) => {
        await c.write('{"jsonrpc":"2.0","id":1,"method":"echoFds","fds":2}', [fds[0]!]);
        await c.write('{"jsonrpc":"2.0","id":2,"method":"echoFds","fds":1}', [fds[1]!]);
      }),
      expectFatal('framing', (c) => c.write('['.repeat(50_000), fds)),
      expectFatal('mismatched-count', async (c) => {
        await c.write('{"jsonrpc":"2.0","id":1,"method":"readFile","fds":4}', fds);
        await c.socket.end();
      }),
    ]);
    Fd.closeAll(fds);
    await expectEchoServed();
    expect(await settledFdCount(server.pid, serverFdsBefore)).toBe(serverFdsBefore);
    expect(processFdCount(server.pid)).toBe(serverFdsBefore);
    expect(server.child.exitCode).toBeNull();
  });
});
