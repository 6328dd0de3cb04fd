import { openSync, readdirSync, readSync, fstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { Fd } from '../../src/transport/fd.js';
import type { Transport } from '../../src/transport/transport.js';
import { memoryTransportPair, type MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import { socketPair } from '../../src/transport/unix-socket.js';
import { VarlinkClient, type VarlinkClientOptions } from '../../src/varlink/varlink-client.js';
import { VarlinkService, type VarlinkServeOptions } from '../../src/varlink/varlink-service.js';

/** Number of fds this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Asserts the open fd count returns to `baseline` (closes may land a few ticks after the last await). */
export async function expectFdCount(baseline: number): Promise<void> {
  for (let i = 0; i < 50 && openFdCount() !== baseline; i++) await sleep(10);
  expect(openFdCount()).toBe(baseline);
}

/** An fd on an already unlinked temp file holding `text`. */
export function textFd(text: string): Fd {
  const dir = mkdtempSync(join(tmpdir(), 'varlink-test-'));
  try {
    const path = join(dir, 'f');
    writeFileSync(path, text);
    return new Fd(openSync(path, 'r'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The content of the regular file behind `fd`, read with pread. */
export function fdText(fd: Fd | number): string {
  const n = typeof fd === 'number' ? fd : fd.value;
  const buffer = Buffer.alloc(fstatSync(n).size);
  readSync(n, buffer, 0, buffer.length, 0);
  return buffer.toString('utf8');
}

/** A private temp directory for socket files; remove it with the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'varlink-sock-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type PairKind = 'memory' | 'socketpair';

/** A connected transport pair of the given kind. */
export function transportPair(kind: PairKind, memory: MemoryTransportOptions = {}): [Transport, Transport] {
  return kind === 'memory' ? memoryTransportPair(memory) : socketPair();
}

/** A client connected to `service` over a fresh transport pair; `done` resolves when the service side ends. */
export function connectPair(
  service: VarlinkService,
  kind: PairKind,
  options: { client?: VarlinkClientOptions; serve?: VarlinkServeOptions; memory?: MemoryTransportOptions } = {},
): { client: VarlinkClient; done: Promise<void> } {
  const [a, b] = transportPair(kind, options.memory);
  const done = service.serve(b, options.serve);
  return { client: new VarlinkClient(a, options.client), done };
}

/** Raw access to the service side: write bytes (with fds) and collect what comes back. */
export function rawPeer(transport: Transport): {
  received(): Buffer;
  ended: Promise<void>;
  closed: Promise<void>;
  write(text: string, fds?: readonly Fd[]): Promise<void>;
  replies(): unknown[];
} {
  const chunks: Buffer[] = [];
  let resolveEnded!: () => void;
  let resolveClosed!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const closed = new Promise<void>((r) => (resolveClosed = r));
  transport.start({
    data: (bytes, fds) => {
      chunks.push(Buffer.from(bytes));
      Fd.closeAll(fds);
    },
    end: () => resolveEnded(),
    error: () => resolveEnded(),
    close: () => {
      resolveEnded();
      resolveClosed();
    },
  });
  const received = (): Buffer => Buffer.concat(chunks);
  return {
    received,
    ended,
    closed,
    write: (text, fds = []) => transport.write(Buffer.from(text), fds),
    replies: () =>
      received()
        .toString('utf8')
        .split('\0')
        .filter((s) => s.length > 0)
        .map((s) => JSON.parse(s) as unknown),
  };
}
