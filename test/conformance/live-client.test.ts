import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli-child.js';
import { expectNoFdLeaks } from '../support/fd-count.js';

const tsx = `"${process.execPath}" --import tsx`;

// The adversarial server, its connections and every fd it received or sent are closed afterwards.
expectNoFdLeaks();

function lines(out: string): string[] {
  return out.trimEnd().split('\n');
}

const allPass = [
  'PASS client-exits-0',
  'PASS client-made-calls',
  'PASS client-stream-well-formed',
  'PASS client-survives-byte-split-responses',
  'PASS client-survives-fd-per-sendmsg-responses',
  'PASS client-survives-late-fds-responses',
  '6 passed, 0 failed, 0 skipped',
];

describe('conformance --client', () => {
  it('a JsonRpcPeer client (echo, readFile, createPipe, echoFds) survives every awkward style', async () => {
    const { code, out, err } = await runInProcess(['conformance', '--client', `${tsx} test/conformance/fixtures/echo-client.ts`]);
    expect(lines(out)).toEqual(allPass);
    expect(err).toContain('calls: echo×1, readFile×1, createPipe×1, echoFds×1');
    expect(code).toBe(0);
  });

  it('a shell script using our own "call" verb passes', async () => {
    const call = `${tsx} src/cli/main.ts call "$JSONRPC_FDPASS_SOCKET"`;
    const script = [
      'set -e',
      `test "$(${call} echo '{"k":[1,2]}')" = '{"k":[1,2]}'`,
      `test "$(${call} readFile '{}' --fd /etc/hostname)" = "$(node -e 'console.log(JSON.stringify(require("fs").readFileSync("/etc/hostname","utf8")))')"`,
      `${call} echoFds '[]' --fd /etc/hostname --fd /dev/null --fd /etc/hostname >/dev/null`,
    ].join('\n');
    const { code, out } = await runInProcess(['conformance', '--client', script]);
    expect(lines(out)).toEqual(allPass);
    expect(code).toBe(0);
  });

  it('a client that exits 1 fails (and made no calls)', async () => {
    const { code, out } = await runInProcess(['conformance', '--client', 'exit 1']);
    expect(lines(out)).toEqual([
      'FAIL client-exits-0: exit code 1',
      'FAIL client-made-calls: no request reached the server (0 connections)',
      'PASS client-stream-well-formed',
      'SKIP client-survives-byte-split-responses: no response was written this way (make at least 3 calls)',
      'SKIP client-survives-fd-per-sendmsg-responses: no response was written this way (make at least 3 calls)',
      'SKIP client-survives-late-fds-responses: no response was written this way (make at least 3 calls)',
      '1 passed, 2 failed, 3 skipped',
    ]);
    expect(code).toBe(1);
  });

  it('a client that assumes one read is one response fails on byte-split responses', async () => {
    const { code, out } = await runInProcess(['conformance', '--client', `${tsx} test/conformance/fixtures/fragile-client.ts`]);
    expect(lines(out)).toEqual([
      'FAIL client-exits-0: exit code 1',
      'PASS client-made-calls',
      'PASS client-stream-well-formed',
      'FAIL client-survives-byte-split-responses: the client failed after 1 such responses',
      'SKIP client-survives-fd-per-sendmsg-responses: no response was written this way (make at least 3 calls)',
      'SKIP client-survives-late-fds-responses: no response was written this way (make at least 3 calls)',
      '2 passed, 2 failed, 2 skipped',
    ]);
    expect(code).toBe(1);
  });

  it('a client that misses fds sent one per sendmsg after the JSON fails that style only (it got past a byte-split response)', async () => {
    const { code, out, err } = await runInProcess(['conformance', '--client', `${tsx} test/conformance/fixtures/fd-timing-client.ts echoFds`]);
    expect(lines(out)).toEqual([
      'FAIL client-exits-0: exit code 1',
      'PASS client-made-calls',
      'PASS client-stream-well-formed',
      'PASS client-survives-byte-split-responses',
      'FAIL client-survives-fd-per-sendmsg-responses: the client failed after 1 such responses',
      'SKIP client-survives-late-fds-responses: no response was written this way (make at least 3 calls)',
      '3 passed, 2 failed, 1 skipped',
    ]);
    expect(err).toContain('echoFds announced 3 fds, got 1');
    expect(code).toBe(1);
  });

  it('a client that misses fds sent after the JSON in a continuation fails the late-fds style only', async () => {
    const { code, out, err } = await runInProcess(['conformance', '--client', `${tsx} test/conformance/fixtures/fd-timing-client.ts createPipe`]);
    expect(lines(out)).toEqual([
      'FAIL client-exits-0: exit code 1',
      'PASS client-made-calls',
      'PASS client-stream-well-formed',
      'PASS client-survives-byte-split-responses',
      'PASS client-survives-fd-per-sendmsg-responses',
      'FAIL client-survives-late-fds-responses: the client failed after 1 such responses',
      '4 passed, 2 failed, 0 skipped',
    ]);
    expect(err).toContain('createPipe announced 1 fds, got 0');
    expect(code).toBe(1);
  });

  it('a client that sends garbage is reported as a malformed stream', async () => {
    const { code, out } = await runInProcess([
      'conformance',
      '--client',
      `${tsx} -e "const {connect}=await import('./src/transport/unix-socket.ts'); const s=await connect(process.env.JSONRPC_FDPASS_SOCKET); s.start({data(){},end(){},error(){},close(){}}); await s.write(Buffer.from('nope')); await s.close();" --input-type=module`,
    ]);
    expect(lines(out)).toContainEqual(expect.stringMatching(/^FAIL client-stream-well-formed: framing: /));
    expect(code).toBe(1);
  });

  it('a client still running after --timeout is killed and fails', async () => {
    const { code, out } = await runInProcess(['conformance', '--client', 'sleep 5', '--timeout', '200']);
    expect(lines(out)[0]).toBe('FAIL client-exits-0: still running after 200 ms (killed)');
    expect(code).toBe(1);
  });
});
