import { isDeepStrictEqual } from 'node:util';
import { Fd } from '../../transport/fd.js';
import { CaseFailure, type CaseContext } from './live-case.js';
import { RawConnectionTimeoutError, type RawConnection, type ReceivedMessage } from './raw-connection.js';

/** The jsonrpc-fdpass fatal error code ("File Descriptor Error"). */
const FD_ERROR_CODE = -32050;

/** Serialises a request (or, without `id`, a notification) exactly as given: no `fds` unless asked. */
export function requestText(id: unknown, method: unknown, params?: unknown, fds?: unknown): string {
  const message: Record<string, unknown> = { jsonrpc: '2.0', method };
  if (params !== undefined) message['params'] = params;
  if (fds !== undefined) message['fds'] = fds;
  if (id !== undefined) message['id'] = id;
  return JSON.stringify(message);
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CaseFailure(`the server sent a non-object message: ${brief(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Options of {@link expectResponse}. */
export interface ResponseOptions {
  /** Also accept `"id": null` (JSON-RPC's answer when a request's id could not be determined). */
  readonly nullIdOk?: boolean;
}

/** The next message, which must be a JSON-RPC 2.0 response to `id`. Its fds are the caller's. */
export async function expectResponse(
  conn: RawConnection,
  id: unknown,
  timeoutMs: number,
  options: ResponseOptions = {},
): Promise<{ message: Record<string, unknown>; fds: ReceivedMessage['fds'] }> {
  let received: ReceivedMessage | null;
  try {
    received = await conn.next(timeoutMs);
  } catch (error) {
    if (error instanceof RawConnectionTimeoutError) throw new CaseFailure(`no response to id ${brief(id)} within ${timeoutMs} ms`);
    throw error;
  }
  if (received === null) {
    throw new CaseFailure(
      conn.garbled !== undefined
        ? `the server's bytes are not JSON messages: ${conn.garbled}`
        : `the server closed the connection instead of answering id ${brief(id)}`,
    );
  }
  const message = asObject(received.value);
  if (message['jsonrpc'] !== '2.0') throw new CaseFailure(`response without "jsonrpc":"2.0": ${brief(message)}`);
  if (!isDeepStrictEqual(message['id'], id) && !(options.nullIdOk === true && message['id'] === null)) {
    throw new CaseFailure(`expected the response to id ${brief(id)}, got ${brief(message)}`);
  }
  const hasResult = 'result' in message;
  const hasError = 'error' in message;
  if (hasResult === hasError) throw new CaseFailure(`a response needs exactly one of result and error: ${brief(message)}`);
  return { message, fds: received.fds };
}

/** Expects a successful response to `id`; checks the result when `expected` is given. */
export async function expectResult(
  conn: RawConnection,
  id: unknown,
  timeoutMs: number,
  expected?: unknown,
): Promise<{ result: unknown; fds: ReceivedMessage['fds'] }> {
  const { message, fds } = await expectResponse(conn, id, timeoutMs);
  if ('error' in message) {
    Fd.closeAll(fds);
    throw new CaseFailure(`id ${brief(id)} was answered with an error: ${brief(message['error'])}`);
  }
  if (expected !== undefined && !isDeepStrictEqual(message['result'], expected)) {
    Fd.closeAll(fds);
    throw new CaseFailure(`id ${brief(id)}: expected result ${brief(expected)}, got ${brief(message['result'])}`);
  }
  return { result: message['result'], fds };
}

/** Expects an error response to `id` whose code is one of `codes`. */
export async function expectError(
  conn: RawConnection,
  id: unknown,
  timeoutMs: number,
  codes: readonly number[],
  options: ResponseOptions = {},
): Promise<void> {
  const { message, fds } = await expectResponse(conn, id, timeoutMs, options);
  Fd.closeAll(fds);
  const error = message['error'];
  const code = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['code'] : undefined;
  if (typeof code !== 'number' || !codes.includes(code)) {
    throw new CaseFailure(`expected error ${codes.join(' or ')} for id ${brief(id)}, got ${brief(message)}`);
  }
}

/**
 * After a fatal protocol error the server must close this connection; before closing it may send one
 * -32050 error and nothing else. Then it must still serve a fresh connection.
 */
export async function expectFatal(ctx: CaseContext, conn: RawConnection): Promise<void> {
  const messages = await conn.untilClosed(ctx.timeoutMs);
  if (messages === null) {
    const early = await conn.drain(0);
    for (const m of early) Fd.closeAll(m.fds);
    const answered = early.length > 0 ? `; it answered ${brief(early.map((m) => m.value))}` : '';
    throw new CaseFailure(`the connection was still open ${ctx.timeoutMs} ms later${answered}`);
  }
  for (const received of messages) {
    Fd.closeAll(received.fds);
    const error = asObject(received.value)['error'];
    const code = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['code'] : undefined;
    if (code !== FD_ERROR_CODE) {
      throw new CaseFailure(`before closing, the server sent ${brief(received.value)} (only a ${FD_ERROR_CODE} error may precede the close)`);
    }
  }
  await expectServerUp(ctx, 'after closing the bad connection');
}

/** A fresh connection must get an `echo` answered. */
export async function expectServerUp(ctx: CaseContext, when: string): Promise<void> {
  let conn: RawConnection;
  try {
    conn = await ctx.open();
  } catch (error) {
    throw new CaseFailure(`the server is down ${when}: connect failed (${error instanceof Error ? error.message : String(error)})`);
  }
  const probe = { alive: true };
  await conn.write(requestText('alive', 'echo', probe));
  try {
    await expectResult(conn, 'alive', ctx.timeoutMs, probe);
  } catch (error) {
    throw new CaseFailure(`the server is not serving ${when}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
