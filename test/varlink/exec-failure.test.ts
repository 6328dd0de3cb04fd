// exec: addresses whose program cannot run or dies: the caller learns that (path, exit code, signal),
// not just the socket's ECONNRESET.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../src/jsonrpc/connection-closed-error.js';
import { VarlinkExecError } from '../../src/varlink/address.js';
import { VarlinkClient } from '../../src/varlink/varlink-client.js';
import { expectNoFdLeaks } from '../support/fd-count.js';
import { tempDir } from '../support/temp-dir.js';

expectNoFdLeaks({ timeoutMs: 1500 });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

function script(body: string): string {
  const tmp = tempDir('varlink-exec');
  cleanups.push(tmp.remove);
  const path = join(tmp.dir, 'service.sh');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('exec: addresses that fail', () => {
  it('refuses a program that does not exist before spawning, naming the path', async () => {
    const err = await VarlinkClient.connect('exec:/nonexistent/varlink-service').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarlinkExecError);
    expect(err).toMatchObject({ code: 'ERR_VARLINK_EXEC', path: '/nonexistent/varlink-service' });
    expect((err as Error).message).toBe('exec:/nonexistent/varlink-service: the service program could not be started: not found (ENOENT)');
  });

  it('refuses a directory', async () => {
    await expect(VarlinkClient.connect('exec:/tmp')).rejects.toThrow(/could not be started: it is a directory/);
  });

  it('reports the exit code of a program that exits with calls waiting', async () => {
    const path = script('exit 3');
    const client = await VarlinkClient.connect(`exec:${path}`);
    const err = await client.call('org.varlink.service.GetInfo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    const cause = (err as ConnectionClosedError).cause;
    expect(cause).toBeInstanceOf(VarlinkExecError);
    expect(cause).toMatchObject({ path, exitCode: 3, signal: null });
    expect((cause as Error).message).toBe(`exec:${path}: the service program exited with code 3`);
  });

  it('reports the signal that killed the program', async () => {
    const path = script('kill -KILL $$');
    const client = await VarlinkClient.connect(`exec:${path}`);
    const err = await client.call('org.varlink.service.GetInfo').catch((e: unknown) => e);
    expect((err as ConnectionClosedError).cause).toMatchObject({ code: 'ERR_VARLINK_EXEC', exitCode: null, signal: 'SIGKILL' });
  });

  it('reports a program name not found in PATH as "could not be started" (the shell exits 127)', async () => {
    const client = await VarlinkClient.connect('exec:no-such-varlink-service-program');
    const err = await client.call('org.varlink.service.GetInfo').catch((e: unknown) => e);
    expect((err as ConnectionClosedError).cause).toMatchObject({ exitCode: 127 });
    expect(((err as ConnectionClosedError).cause as Error).message).toMatch(/could not be started: not found \(exit code 127\)/);
  });
});
