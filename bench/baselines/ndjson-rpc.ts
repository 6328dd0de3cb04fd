import { ECHO_METHOD } from '../payload.js';

/** Writes bytes (and fds, where the socket can carry them) to the other end. */
export type SendBytes = (bytes: Buffer, fds?: readonly number[]) => void;

/**
 * The least a hand-rolled JSON-RPC over newline-delimited JSON needs, shared by the `net` and usocket
 * baselines so that they do the same protocol work as our stack (frame, parse, stringify, match ids)
 * and differ from it only in the socket layer. No validation, no error replies: a lower bound.
 */
class LineFramer {
  #parts: Buffer[] = [];

  /** Feeds a chunk; returns every complete line in it. Only new bytes are searched: O(n) in total. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      const tail = chunk.subarray(from, nl);
      if (this.#parts.length === 0) {
        lines.push(tail.toString());
      } else {
        this.#parts.push(tail);
        lines.push(Buffer.concat(this.#parts).toString());
        this.#parts = [];
      }
      from = nl + 1;
    }
    if (from < chunk.length) this.#parts.push(chunk.subarray(from));
    return lines;
  }
}

interface Reply {
  readonly id: number;
  readonly result: unknown;
}

/** Client half: numbered requests, a map of pending replies. */
export class NdjsonClient {
  readonly #send: SendBytes;
  readonly #framer = new LineFramer();
  readonly #pending = new Map<number, (result: unknown) => void>();
  #nextId = 1;

  constructor(send: SendBytes) {
    this.#send = send;
  }

  call(params: unknown, fds?: readonly number[]): Promise<unknown> {
    const id = this.#nextId++;
    const reply = new Promise<unknown>((resolve) => this.#pending.set(id, resolve));
    const line = JSON.stringify({ jsonrpc: '2.0', id, method: ECHO_METHOD, params }) + '\n';
    this.#send(Buffer.from(line), fds);
    return reply;
  }

  /** Feeds bytes read from the socket. */
  receive(chunk: Buffer): void {
    for (const line of this.#framer.push(chunk)) {
      const reply = JSON.parse(line) as Reply;
      const resolve = this.#pending.get(reply.id);
      if (resolve === undefined) throw new Error(`reply to unknown id ${String(reply.id)}`);
      this.#pending.delete(reply.id);
      resolve(reply.result);
    }
  }
}

interface Request {
  readonly id: number;
  readonly params: unknown;
}

/** Server half: answers every request with its own params. Returns the function to feed bytes to. */
export function ndjsonEchoServer(send: SendBytes): (chunk: Buffer) => void {
  const framer = new LineFramer();
  return (chunk) => {
    for (const line of framer.push(chunk)) {
      const request = JSON.parse(line) as Request;
      send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: request.params }) + '\n'));
    }
  };
}
