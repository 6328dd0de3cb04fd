import { openSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { JsonScanner } from '../codec/json-scanner.js';
import { FdPassChannel } from '../fdpass/channel.js';
import { Fd } from '../transport/fd.js';
import { memoryTransportPair } from '../transport/memory-transport.js';
import { nativeAddon } from '../transport/native.js';
import { socketPair } from '../transport/unix-socket.js';
import type { ExpectedSend, SenderVector } from './vector-types.js';

/**
 * Where a sender vector runs:
 * - `memory`: the in-memory transport, which never glues sends, so every sendmsg is seen on its own;
 *   it has no EINVAL, so it can only run vectors whose start batch is within the fd limit.
 * - `socket`: a real `socketpair`, where the kernel's own limit (SCM_MAX_FD) answers EINVAL, so it
 *   can only run vectors whose `fdLimit` is that limit. The reader starts after every send is done,
 *   so reads are glued exactly as Linux glues them (see {@link expectedReads}).
 */
export type SenderSetup = 'memory' | 'socket';

/** One receive call on the far end. */
export interface ObservedRead {
  readonly bytes: Buffer;
  readonly fds: number;
}

/** What {@link runSenderVector} saw: every read of the far end, and what went wrong on the way (empty when nothing did). */
export interface SenderOutcome {
  readonly reads: ObservedRead[];
  readonly problems: string[];
}

/** The setups able to honour `vector`'s sendmsg limits. */
export function senderSetups(vector: SenderVector): SenderSetup[] {
  const out: SenderSetup[] = [];
  if (vector.sendmsg.startBatch <= vector.sendmsg.fdLimit) out.push('memory');
  if (vector.sendmsg.fdLimit === kernelFdLimit()) out.push('socket');
  return out;
}

/** Linux's SCM_MAX_FD as the addon reports it; null when the addon cannot load here. */
function kernelFdLimit(): number | null {
  try {
    return nativeAddon().MAX_FDS;
  } catch {
    return null;
  }
}

/**
 * Sends the vector's messages through an {@link FdPassChannel} (all queued at once, as a pipelining
 * caller would) and records every read the far end gets. Each message's fds are one `/dev/null`
 * descriptor repeated, which a sendmsg accepts; the receiver's copies are closed as they arrive.
 */
export async function runSenderVector(vector: SenderVector, setup: SenderSetup): Promise<SenderOutcome> {
  const problems: string[] = [];
  const reads: ObservedRead[] = [];
  const source = new Fd(openSync('/dev/null', 'r'));
  const [near, far] =
    setup === 'memory'
      ? memoryTransportPair({ coalesce: false, maxFdsPerSend: vector.sendmsg.startBatch })
      : socketPair({ maxFdsPerSend: vector.sendmsg.startBatch });
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let resolveFarClosed!: () => void;
  const farClosed = new Promise<void>((resolve) => (resolveFarClosed = resolve));
  const startFar = (): void =>
    far.start({
      data: (bytes, fds) => {
        reads.push({ bytes, fds: fds.length });
        Fd.closeAll(fds);
      },
      end: resolveEnded,
      error: (err) => {
        problems.push(`receiving side failed: ${err.message}`);
        resolveEnded();
      },
      close: () => {
        resolveEnded();
        resolveFarClosed();
      },
    });

  const channel = new FdPassChannel(near);
  channel.start({ message: (_value, fds) => Fd.closeAll(fds), close: () => {}, end: () => {} });
  if (setup === 'memory') startFar();
  try {
    const sends = vector.messages.map((m) => channel.send(m.json, Array.from({ length: m.fds }, () => source.value)));
    await Promise.all(sends);
    await channel.end();
  } catch (err) {
    problems.push(`sending failed: ${(err as Error).message}`);
  }
  if (setup === 'socket') startFar();
  await withTimeout(ended, 2000, () => problems.push('the receiving side never saw end of stream'));
  await channel.close();
  far.destroy();
  await withTimeout(farClosed, 2000, () => problems.push('the receiving side never closed'));
  source.close();
  return { reads, problems };
}

async function withTimeout(p: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const result = await Promise.race([p, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') onTimeout();
}

/**
 * The reads the far end should see. In-memory every sendmsg is one read. On a real socket whose
 * reader starts late, Linux glues the bytes of fd-less sends to the following send, and ends a read
 * right after a send that carried fds.
 */
export function expectedReads(vector: SenderVector, setup: SenderSetup): ExpectedSend[][] {
  const sends = vector.expect.sends;
  if (setup === 'memory') return sends.map((s) => [s]);
  const out: ExpectedSend[][] = [];
  let group: ExpectedSend[] = [];
  for (const s of sends) {
    group.push(s);
    if (s.fds > 0) {
      out.push(group);
      group = [];
    }
  }
  if (group.length > 0) out.push(group);
  return out;
}

/** How the reads differ from the vector's sends (as {@link expectedReads} groups them); empty when they match. */
export function senderDifferences(vector: SenderVector, setup: SenderSetup, outcome: SenderOutcome): string[] {
  const out = [...outcome.problems];
  const want = expectedReads(vector, setup);
  const got = outcome.reads;
  if (got.length !== want.length) out.push(`${got.length} reads, expected ${want.length}: ${describeReads(got)}`);
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const group = want[i]!;
    const read = got[i]!;
    const fds = group.reduce((n, s) => n + s.fds, 0);
    if (read.fds !== fds) out.push(`read ${i} carried ${read.fds} fds, expected ${fds}`);
    const problem = matchPayload(read.bytes, group);
    if (problem !== null) out.push(`read ${i}: ${problem}`);
  }
  return out;
}

/** Checks that `bytes` is exactly the group's payloads in order: whole JSON texts or exact bytes. */
function matchPayload(bytes: Buffer, group: readonly ExpectedSend[]): string | null {
  let at = 0;
  for (const s of group) {
    const rest = bytes.subarray(at);
    if (s.kind === 'bytes') {
      if (!rest.subarray(0, s.bytes.length).equals(s.bytes)) return `expected bytes ${JSON.stringify(s.bytes.toString('latin1'))} at offset ${at}`;
      at += s.bytes.length;
      continue;
    }
    const scanner = new JsonScanner({ maxMessageBytes: rest.length + 1 });
    scanner.push(rest);
    let value: ReturnType<JsonScanner['next']>;
    try {
      value = scanner.next();
    } catch (err) {
      return `no JSON message at offset ${at}: ${(err as Error).message}`;
    }
    if (value === null) return `incomplete JSON message at offset ${at}`;
    if (value.start !== 0) return `whitespace before the message at offset ${at}`;
    const json: unknown = JSON.parse(value.bytes.toString('utf8'));
    if (!isDeepStrictEqual(json, s.json)) return `sent ${JSON.stringify(json)}, expected ${JSON.stringify(s.json)}`;
    at += value.end;
  }
  return at === bytes.length ? null : `${bytes.length - at} unexpected bytes after offset ${at}`;
}

function describeReads(reads: readonly ObservedRead[]): string {
  return reads.map((r) => `${r.bytes.length}B/${r.fds}fd`).join(' ');
}
