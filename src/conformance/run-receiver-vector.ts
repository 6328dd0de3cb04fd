import { openSync, readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { FdPassChannel } from '../fdpass/channel.js';
import { FdPassError } from '../fdpass/fdpass-error.js';
import { Fd } from '../transport/fd.js';
import { memoryTransportPair } from '../transport/memory-transport.js';
import type { MemoryTransport } from '../transport/memory-transport.js';
import type { FatalReason, ReceiverVector } from './vector-types.js';

/** What our channel did with a receiver vector's reads. */
export interface ReceiverOutcome {
  readonly messages: { json: unknown; fds: number; afterRead: number }[];
  /** The fatal error's reason and the step after which the channel had started closing; null when none. */
  readonly fatal: { reason: string; afterRead: number } | null;
  /** Everything wrong that the message/fatal comparison does not show (fds, final error response, hangs). */
  readonly problems: string[];
}

/** Turns of the event loop to wait for one step's effects before calling it stuck. */
const MAX_TURNS = 200;

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Feeds a receiver vector to an {@link FdPassChannel} over the in-memory transport, one read at a
 * time, each read carrying fresh `/dev/null` descriptors, and records what the channel dispatched,
 * whether and when it failed, whether it sent the final `-32050` error response, and whether every
 * descriptor ended up either with a message or closed. Reads after a fatal error are not delivered.
 */
export async function runReceiverVector(vector: ReceiverVector): Promise<ReceiverOutcome> {
  const problems: string[] = [];
  const baseline = openFdCount();
  const [peer, local] = memoryTransportPair();
  const sentBack = recordPeer(peer);

  const channel = new FdPassChannel(local, { ...vector.limits, fatalErrorTimeoutMs: 500 });
  const dispatched: { json: unknown; fds: Fd[]; afterRead: number }[] = [];
  let closeError: Error | undefined;
  let closed = false;
  let step = -1;
  channel.start({
    message: (json, fds) => dispatched.push({ json, fds, afterRead: step }),
    close: (error) => {
      closed = true;
      closeError = error;
    },
  });

  const arrived: Fd[] = [];
  let fatalAt = -1;
  for (step = 0; step < vector.reads.length; step++) {
    const r = vector.reads[step]!;
    if (r.eof) {
      local.injectEnd();
      // Without an `end` handler the channel closes itself at end of stream.
      for (let t = 0; t < MAX_TURNS && !closed; t++) await turn();
      if (!closed) problems.push(`still open ${MAX_TURNS} turns after end of stream`);
    } else {
      const fds = Array.from({ length: r.fds }, () => new Fd(openSync('/dev/null', 'r')));
      arrived.push(...fds);
      const before = local.stats.reads;
      local.injectRead(r.bytes, fds);
      for (let t = 0; t < MAX_TURNS && local.stats.reads === before && !local.closed; t++) await turn();
      if (local.stats.reads === before) problems.push(`step ${step} was never delivered`);
    }
    if (channel.closed) {
      fatalAt = step;
      break;
    }
  }
  step = Math.min(step, vector.reads.length - 1);

  if (!channel.closed) await channel.close();
  for (let t = 0; t < MAX_TURNS && !closed; t++) await turn();
  if (!closed) problems.push('the channel never reported close');

  let fatal: ReceiverOutcome['fatal'] = null;
  if (closeError instanceof FdPassError) {
    fatal = { reason: closeError.reason, afterRead: fatalAt };
    checkFinalResponse(sentBack(), closeError.reason, problems);
  } else if (closeError !== undefined) {
    problems.push(`closed with a non-protocol error: ${String(closeError)}`);
  } else if (fatalAt >= 0 && !vector.reads[fatalAt]!.eof) {
    problems.push(`the channel closed by itself after step ${fatalAt} without an error`);
  }

  checkFdOwnership(arrived, dispatched, problems);
  // Every fd not handed to a message must already be closed; the messages' fds are ours to close.
  const held = dispatched.reduce((n, m) => n + m.fds.length, 0);
  const open = openFdCount() - baseline;
  if (open !== held) problems.push(`${open} fds open after the run, but messages hold ${held}: ${open - held} leaked`);
  for (const m of dispatched) Fd.closeAll(m.fds);
  peer.destroy();

  return { messages: dispatched.map((m) => ({ json: m.json, fds: m.fds.length, afterRead: m.afterRead })), fatal, problems };
}

/** Starts the far end: collects what the channel sends back, closes any fds. */
function recordPeer(peer: MemoryTransport): () => string {
  const chunks: Buffer[] = [];
  peer.start({
    data: (bytes, fds) => {
      chunks.push(bytes);
      Fd.closeAll(fds);
    },
    end: () => {},
    error: () => {},
    close: () => {},
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

/** The channel must have sent exactly one message: the `-32050` error naming `reason`. */
function checkFinalResponse(text: string, reason: FatalReason, problems: string[]): void {
  const expected = { jsonrpc: '2.0', error: { code: -32050, message: 'File Descriptor Error', data: { reason } }, id: null };
  let got: unknown;
  try {
    got = JSON.parse(text);
  } catch {
    problems.push(`the final error response is not one JSON value: ${JSON.stringify(text.slice(0, 200))}`);
    return;
  }
  if (!isDeepStrictEqual(got, expected)) problems.push(`wrong final error response: ${text.slice(0, 200)}`);
}

/** Messages take fds from the front of the arrival order (FIFO); each fd is handed out at most once. */
function checkFdOwnership(arrived: Fd[], dispatched: { fds: Fd[]; afterRead: number }[], problems: string[]): void {
  let next = 0;
  for (const [i, m] of dispatched.entries()) {
    for (const fd of m.fds) {
      if (fd !== arrived[next]) {
        problems.push(`message ${i} got an fd out of arrival order (expected arrival #${next})`);
        return;
      }
      if (fd.closed) problems.push(`message ${i} got an fd that was already closed`);
      next++;
    }
  }
  for (let k = next; k < arrived.length; k++) {
    if (!arrived[k]!.closed) problems.push(`fd #${k} was neither handed to a message nor closed`);
  }
}

/** How `outcome` differs from what `vector` expects; empty when the channel passed. */
export function receiverDifferences(vector: ReceiverVector, outcome: ReceiverOutcome): string[] {
  const out = [...outcome.problems];
  const want = vector.expect.messages;
  const got = outcome.messages;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    const g = got[i];
    if (w === undefined) out.push(`unexpected message ${i}: ${JSON.stringify(g!.json)} with ${g!.fds} fds after step ${g!.afterRead}`);
    else if (g === undefined) out.push(`missing message ${i}: ${JSON.stringify(w.json)} with ${w.fds} fds after step ${w.afterRead}`);
    else {
      if (!isDeepStrictEqual(g.json, w.json)) out.push(`message ${i} is ${JSON.stringify(g.json)}, expected ${JSON.stringify(w.json)}`);
      if (g.fds !== w.fds) out.push(`message ${i} got ${g.fds} fds, expected ${w.fds}`);
      if (g.afterRead !== w.afterRead) out.push(`message ${i} came after step ${g.afterRead}, expected after step ${w.afterRead}`);
    }
  }
  const wf = vector.expect.fatal;
  const gf = outcome.fatal;
  if (wf === null && gf !== null) out.push(`unexpected fatal error "${gf.reason}" after step ${gf.afterRead}`);
  else if (wf !== null && gf === null) out.push(`expected fatal error "${wf.reason}" after step ${wf.afterRead}, got none`);
  else if (wf !== null && gf !== null && (wf.reason !== gf.reason || wf.afterRead !== gf.afterRead)) {
    out.push(`fatal error "${gf.reason}" after step ${gf.afterRead}, expected "${wf.reason}" after step ${wf.afterRead}`);
  }
  return out;
}
