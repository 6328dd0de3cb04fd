import { fstatSync } from 'node:fs';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { readFdText } from '../../transport/read-fd.js';
import { Fd } from '../../transport/fd.js';
import { CaseFailure, CaseSkip, type CaseContext, type LiveCase } from './live-case.js';
import type { RawConnection } from './raw-connection.js';
import {
  expectError,
  expectFatal,
  expectResponse,
  expectResult,
  requestText,
} from './response-checks.js';

/*
 * The live cases run against any server that implements the echo contract:
 *   echo        result = params
 *   readFile    result = the text read from fds[0]
 *   createPipe  result anything, with one fd: a pipe read end holding some text
 *   echoFds     (optional) result = params, with the received fds sent back in order
 * Every case opens its own connections; the writes are raw so that byte splits and fd batching are
 * exactly what the case says.
 */

const METHOD_NOT_FOUND = -32601;
const INVALID_REQUEST = -32600;
/** Fewer than Linux's 253 per sendmsg, so the batches are the case's and not the kernel's. */
const FDS_PER_BATCH = 200;

/** Silence we wait for before concluding that something was not answered. */
const QUIET_MS = 300;
/**
 * A pause at a chosen point of a write sequence: long enough that even a server that reads late has
 * read what came before, so it really sees the message cut there (or the fds arrive in a read of their own).
 */
const SPLIT_PAUSE_MS = 25;

/** Writes that may fail because the server (rightly) closed the connection already. */
async function writeMayFail(conn: RawConnection, bytes: string, fds: readonly Fd[] = []): Promise<void> {
  try {
    await conn.write(bytes, fds);
  } catch {
    // EPIPE/ECONNRESET: the server closed first; the case judges the close.
  }
}

async function expectReadFile(conn: RawConnection, ctx: CaseContext, id: unknown, text: string): Promise<void> {
  const { fds } = await expectResult(conn, id, ctx.timeoutMs, text);
  Fd.closeAll(fds);
}

const echoRoundTrip: LiveCase = {
  name: 'echo-round-trip',
  async run(ctx) {
    const conn = await ctx.open();
    const params = { text: 'héllo ☃', list: [1, 2.5, null, true], nested: { empty: {} } };
    await conn.write(requestText(1, 'echo', params));
    await expectResult(conn, 1, ctx.timeoutMs, params);
  },
};

const readFileBasic: LiveCase = {
  name: 'read-file-with-one-fd',
  async run(ctx) {
    const conn = await ctx.open();
    const text = 'contents of a file passed by fd\n';
    await conn.write(requestText(1, 'readFile', {}, 1), [ctx.textFd(text)]);
    await expectReadFile(conn, ctx, 1, text);
  },
};

const createPipe: LiveCase = {
  name: 'create-pipe-returns-a-readable-pipe',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(requestText(1, 'createPipe', {}));
    const { fds } = await expectResult(conn, 1, ctx.timeoutMs);
    try {
      const [fd] = fds;
      if (fds.length !== 1 || fd === undefined) throw new CaseFailure(`expected 1 fd with the response, got ${fds.length}`);
      if (!fstatSync(fd.value).isFIFO()) throw new CaseFailure('the fd is not a pipe');
      const text = await readFdText(fd.value, { maxBytes: 1 << 20, signal: AbortSignal.timeout(ctx.timeoutMs) });
      if (text.length === 0) throw new CaseFailure('the pipe holds no text');
    } finally {
      Fd.closeAll(fds);
    }
  },
};

const echoFds: LiveCase = {
  name: 'echo-fds-returns-the-same-files',
  async run(ctx) {
    const conn = await ctx.open();
    const sent = [ctx.textFd('a'), ctx.textFd('b'), ctx.textFd('c')];
    await conn.write(requestText(1, 'echoFds', ['x'], sent.length), sent);
    const { message, fds } = await expectResponse(conn, 1, ctx.timeoutMs);
    try {
      const error = message['error'] as { code?: unknown } | undefined;
      if (error?.code === METHOD_NOT_FOUND) throw new CaseSkip('echoFds is not implemented (-32601)');
      if (error !== undefined) throw new CaseFailure(`echoFds answered an error: ${JSON.stringify(error)}`);
      const want = sent.map((fd) => fstatSync(fd.value).ino);
      const got = fds.map((fd) => fstatSync(fd.value).ino);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new CaseFailure(`expected the same 3 files back in order (inodes ${want.join(',')}), got inodes ${got.join(',') || 'none'}`);
      }
    } finally {
      Fd.closeAll(fds);
    }
  },
};

const byteAtATime: LiveCase = {
  name: 'request-written-one-byte-per-sendmsg',
  async run(ctx) {
    const conn = await ctx.open();
    const params = { split: 'one byte at a time', n: 12345 };
    const bytes = Buffer.from(requestText(1, 'echo', params));
    // Pauses after the first byte and inside the number, so that the server's reads end there.
    const cut = bytes.indexOf('123') + 3;
    await conn.writeByteByByte(bytes.subarray(0, 1));
    await sleep(SPLIT_PAUSE_MS);
    await conn.writeByteByByte(bytes.subarray(1, cut));
    await sleep(SPLIT_PAUSE_MS);
    await conn.writeByteByByte(bytes.subarray(cut));
    await expectResult(conn, 1, ctx.timeoutMs, params);
  },
};

const fdOnFirstByte: LiveCase = {
  name: 'fd-on-first-byte-rest-split',
  async run(ctx) {
    const conn = await ctx.open();
    const text = 'fd rode the first byte\n';
    const bytes = Buffer.from(requestText(7, 'readFile', { pad: 'x'.repeat(50) }, 1));
    await conn.write(bytes.subarray(0, 1), [ctx.textFd(text)]);
    await sleep(SPLIT_PAUSE_MS);
    // The rest in uneven pieces, each its own sendmsg.
    for (let at = 1, size = 1; at < bytes.length; at += size, size = size * 2 + 1) {
      await yieldToLoop();
      await conn.write(bytes.subarray(at, Math.min(bytes.length, at + size)));
    }
    await expectReadFile(conn, ctx, 7, text);
  },
};

const coalesced: LiveCase = {
  name: 'several-requests-in-one-write',
  async run(ctx) {
    const conn = await ctx.open();
    const text = 'first of three\n';
    await conn.write(
      requestText(1, 'readFile', {}, 1) + requestText(2, 'echo', ['two']) + requestText(3, 'echo', { three: 3 }),
      [ctx.textFd(text)],
    );
    const seen = new Map<unknown, unknown>();
    const received: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await conn.next(ctx.timeoutMs).catch(() => null);
      if (next === null) {
        const what = conn.end === 'open' ? 'no more responses came' : 'the server closed the connection';
        throw new CaseFailure(`${what} after ${i} of 3 messages${i > 0 ? `: ${received.join(' ')}` : ''}`);
      }
      Fd.closeAll(next.fds);
      received.push(JSON.stringify(next.value).slice(0, 200));
      const value = next.value as Record<string, unknown>;
      seen.set(value['id'], value['result']);
    }
    const want = new Map<unknown, unknown>([
      [1, text],
      [2, ['two']],
      [3, { three: 3 }],
    ]);
    for (const [id, result] of want) {
      if (JSON.stringify(seen.get(id)) !== JSON.stringify(result)) {
        throw new CaseFailure(`id ${String(id)}: expected result ${JSON.stringify(result)}, got ${JSON.stringify(seen.get(id))}`);
      }
    }
  },
};

const manyFds: LiveCase = {
  name: 'fds-600-batched-with-space-continuations',
  async run(ctx) {
    const conn = await ctx.open();
    const text = 'fd 0 of 600\n';
    const filler = ctx.nullFd();
    // Sending one fd number many times gives the receiver that many distinct fds.
    const fds: Fd[] = [ctx.textFd(text), ...Array.from({ length: 599 }, () => filler)];
    await conn.write(requestText(1, 'readFile', {}, fds.length), fds.slice(0, FDS_PER_BATCH));
    for (let at = FDS_PER_BATCH; at < fds.length; at += FDS_PER_BATCH) {
      await conn.write(' ', fds.slice(at, at + FDS_PER_BATCH));
    }
    await expectReadFile(conn, ctx, 1, text);
    // The connection must still be in sync afterwards.
    await conn.write(requestText(2, 'echo', ['after']));
    await expectResult(conn, 2, ctx.timeoutMs, ['after']);
  },
};

const lateFds: LiveCase = {
  name: 'late-fds-in-a-continuation-write',
  async run(ctx) {
    const conn = await ctx.open();
    const text = 'the fd came after the JSON\n';
    await conn.write(requestText(1, 'readFile', {}, 1));
    await sleep(SPLIT_PAUSE_MS);
    await conn.write(' ', [ctx.textFd(text)]);
    await expectReadFile(conn, ctx, 1, text);
  },
};

const pipelining: LiveCase = {
  name: 'pipelined-1000-requests',
  async run(ctx) {
    const conn = await ctx.open();
    const count = 1000;
    const writes: Promise<void>[] = [];
    for (let start = 0; start < count; start += 100) {
      let chunk = '';
      for (let i = start; i < start + 100; i++) chunk += requestText(i, 'echo', { i });
      writes.push(conn.write(chunk));
    }
    await Promise.all(writes);
    const pending = new Set(Array.from({ length: count }, (_, i) => i));
    while (pending.size > 0) {
      const next = await conn.next(ctx.timeoutMs).catch(() => null);
      if (next === null) throw new CaseFailure(`${pending.size} of ${count} requests were not answered`);
      Fd.closeAll(next.fds);
      const value = next.value as Record<string, unknown>;
      const id = value['id'];
      const result = value['result'] as { i?: unknown } | undefined;
      if (typeof id !== 'number' || !pending.delete(id)) throw new CaseFailure(`unexpected or repeated response ${JSON.stringify(value).slice(0, 200)}`);
      if (result?.i !== id) throw new CaseFailure(`id ${id} was answered with ${JSON.stringify(result)}`);
    }
  },
};

const bigMessage: LiveCase = {
  name: 'message-of-4-MiB',
  async run(ctx) {
    const conn = await ctx.open();
    const params = { blob: 'abcdefghijklmnop'.repeat((4 * 1024 * 1024) / 16) };
    await conn.write(requestText(1, 'echo', params));
    const { result } = await expectResult(conn, 1, Math.max(ctx.timeoutMs, 10_000));
    const blob = (result as { blob?: unknown } | null)?.blob;
    if (blob !== params.blob) throw new CaseFailure(`the 4 MiB string came back different (${typeof blob === 'string' ? blob.length : typeof blob} chars)`);
  },
};

const whitespace: LiveCase = {
  name: 'all-four-whitespace-bytes-between-messages',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(` \t\r\n${requestText(1, 'echo', [1])} \t\r\n${requestText(2, 'echo', [2])}\n`);
    // Whitespace alone, in its own sendmsg, then a third request.
    await conn.write('\r\n\t  ');
    await conn.write(`\t${requestText(3, 'echo', [3])}\r\n`);
    for (const id of [1, 2, 3]) await expectResult(conn, id, ctx.timeoutMs, [id]);
  },
};

const notification: LiveCase = {
  name: 'notification-is-not-answered',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(requestText(undefined, 'echo', { note: true }));
    await conn.write(requestText(undefined, 'noSuchMethod', {}));
    await conn.write(requestText(2, 'echo', ['after']));
    const first = await conn.next(ctx.timeoutMs).catch(() => null);
    if (first === null) throw new CaseFailure('no response to the request after the notifications');
    Fd.closeAll(first.fds);
    const id = (first.value as Record<string, unknown>)['id'];
    if (id !== 2) throw new CaseFailure(`a notification was answered: ${JSON.stringify(first.value)}`);
    const extra = await conn.drain(QUIET_MS);
    for (const m of extra) Fd.closeAll(m.fds);
    if (extra.length > 0) throw new CaseFailure(`a notification was answered: ${JSON.stringify(extra[0]?.value)}`);
  },
};

const unknownMethod: LiveCase = {
  name: 'unknown-method-is-32601',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(requestText(1, 'no.such.method', {}));
    await expectError(conn, 1, ctx.timeoutMs, [METHOD_NOT_FOUND]);
    // fds sent with an unknown method are dropped and the connection goes on.
    await conn.write(requestText(2, 'no.such.method', {}, 1), [ctx.textFd('unused')]);
    await expectError(conn, 2, ctx.timeoutMs, [METHOD_NOT_FOUND]);
    await conn.write(requestText(3, 'echo', ['still here']));
    await expectResult(conn, 3, ctx.timeoutMs, ['still here']);
  },
};

const invalidRequest: LiveCase = {
  name: 'invalid-request-is-32600',
  async run(ctx) {
    const conn = await ctx.open();
    // JSON-RPC allows id null when a request's id could not be read; these ids could, but be lenient.
    await conn.write(requestText(1, 42, {}));
    await expectError(conn, 1, ctx.timeoutMs, [INVALID_REQUEST], { nullIdOk: true });
    await conn.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'echo', params: 'not structured' }));
    await expectError(conn, 2, ctx.timeoutMs, [INVALID_REQUEST], { nullIdOk: true });
    await conn.write(requestText(3, 'echo', ['still here']));
    await expectResult(conn, 3, ctx.timeoutMs, ['still here']);
  },
};

const nullId: LiveCase = {
  name: 'null-id-request-is-answered-with-null-id',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(requestText(null, 'echo', ['null id']));
    await expectResult(conn, null, ctx.timeoutMs, ['null id']);
  },
};

const stringId: LiveCase = {
  name: 'string-id-is-preserved',
  async run(ctx) {
    const conn = await ctx.open();
    await conn.write(requestText('req-ü-1', 'echo', []));
    await expectResult(conn, 'req-ü-1', ctx.timeoutMs, []);
  },
};

const garbage: LiveCase = {
  name: 'fatal-garbage-closes-the-connection',
  async run(ctx) {
    const conn = await ctx.open();
    await writeMayFail(conn, 'this is not JSON}\n');
    await expectFatal(ctx, conn);
  },
};

const negativeFds: LiveCase = {
  name: 'fatal-negative-fds-closes-the-connection',
  async run(ctx) {
    const conn = await ctx.open();
    await writeMayFail(conn, requestText(1, 'echo', {}, -1));
    await expectFatal(ctx, conn);
  },
};

const fractionalFds: LiveCase = {
  name: 'fatal-fractional-fds-closes-the-connection',
  async run(ctx) {
    const conn = await ctx.open();
    await writeMayFail(conn, requestText(1, 'echo', {}, 1.5), [ctx.textFd('x'), ctx.textFd('y')]);
    await expectFatal(ctx, conn);
  },
};

const mismatchedCount: LiveCase = {
  name: 'fatal-mismatched-count-next-message-first',
  async run(ctx) {
    const conn = await ctx.open();
    await writeMayFail(conn, requestText(1, 'readFile', {}, 2), [ctx.textFd('only one')]);
    await yieldToLoop();
    await writeMayFail(conn, requestText(2, 'echo', ['next']));
    await expectFatal(ctx, conn);
  },
};

const fdStealing: LiveCase = {
  name: 'fatal-mismatched-count-next-message-brings-its-own-fd',
  async run(ctx) {
    // A receiver that only counts queued fds would hand the second message's fd to the first.
    const conn = await ctx.open();
    await writeMayFail(conn, requestText(1, 'readFile', {}, 2), [ctx.textFd('first')]);
    await yieldToLoop();
    await writeMayFail(conn, requestText(2, 'readFile', {}, 1), [ctx.textFd('second')]);
    await expectFatal(ctx, conn);
  },
};

const eofBeforeFds: LiveCase = {
  name: 'fatal-eof-before-fds',
  async run(ctx) {
    const conn = await ctx.open();
    await writeMayFail(conn, requestText(1, 'readFile', {}, 1));
    await conn.endWriting().catch(() => {});
    await expectFatal(ctx, conn);
  },
};

/** Every live server case, in the order they run. */
export const serverCases: readonly LiveCase[] = [
  echoRoundTrip,
  readFileBasic,
  createPipe,
  echoFds,
  byteAtATime,
  fdOnFirstByte,
  coalesced,
  manyFds,
  lateFds,
  pipelining,
  bigMessage,
  whitespace,
  notification,
  unknownMethod,
  invalidRequest,
  nullId,
  stringId,
  garbage,
  negativeFds,
  fractionalFds,
  mismatchedCount,
  fdStealing,
  eofBeforeFds,
];
