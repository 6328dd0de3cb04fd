import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { PIPE_TEXT, READ_FILE_LIMIT } from '../echo-service.js';
import { readFdText } from '../../transport/read-fd.js';
import { textPipe } from '../text-pipe.js';
import { FdPassChannel } from '../../fdpass/channel.js';
import { FdPassError } from '../../fdpass/fdpass-error.js';
import { Fd } from '../../transport/fd.js';
import { listen, type UnixListener } from '../../transport/unix-listener.js';
import type { UnixSocket } from '../../transport/unix-socket.js';

/**
 * How a response is written, in rotation over all responses of the server:
 * - `byte-split`: one byte per sendmsg, all fds on the first byte, with a pause of {@link SPLIT_PAUSE_MS}
 *   after the first byte so that even a client that reads late sees the message cut;
 * - `fd-per-sendmsg`: the JSON in pieces, then one fd per sendmsg (the first on the first byte, the
 *   others each on a one-space continuation, after a pause of {@link SPLIT_PAUSE_MS});
 * - `late-fds`: the complete JSON without fds, then (after a pause of {@link SPLIT_PAUSE_MS}) every fd
 *   on a one-space continuation.
 * The pauses make sure that even a client that reads late holds the complete JSON before those fds.
 */
export const RESPONSE_STYLES = ['byte-split', 'fd-per-sendmsg', 'late-fds'] as const;
/** One of {@link RESPONSE_STYLES}. */
export type ResponseStyle = (typeof RESPONSE_STYLES)[number];

/** A client waiting for the response wakes up within this long; it then holds a partial message. */
export const SPLIT_PAUSE_MS = 25;

/** What the adversarial server observed. */
export interface AdversarialStats {
  /** Requests answered, per method (including -32601 answers). */
  readonly calls: Map<string, number>;
  /** Responses written in each style. */
  readonly styles: Map<ResponseStyle, number>;
  /**
   * Responses in each style that the client got past: it sent another request on the same connection
   * after such a response was written.
   */
  readonly survived: Map<ResponseStyle, number>;
  /** Fatal protocol errors caused by the client's bytes (each closed that connection). */
  readonly protocolErrors: string[];
  connections: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An echo server (echo, echoFds, readFile, createPipe; the contract of `serve-echo`) whose responses
 * are legal but awkward: split into many sendmsg calls and with fds batched one per sendmsg or sent
 * after the JSON. It reads with our own channel, so a client's malformed bytes are reported in
 * {@link AdversarialStats.protocolErrors}.
 */
export class AdversarialEchoServer implements AsyncDisposable {
  readonly stats: AdversarialStats = { calls: new Map(), styles: new Map(), survived: new Map(), protocolErrors: [], connections: 0 };
  readonly #listener: UnixListener;
  readonly #channels = new Set<FdPassChannel>();
  readonly #accepting: Promise<void>;
  #next = 0;

  private constructor(listener: UnixListener) {
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  static async listen(socketPath: string): Promise<AdversarialEchoServer> {
    return new AdversarialEchoServer(await listen(socketPath));
  }

  async close(): Promise<void> {
    await this.#listener.close();
    await this.#accepting;
    await Promise.all([...this.#channels].map((channel) => channel.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const socket of this.#listener) this.#serve(socket);
    } catch {
      // The listener failed; clients will see their connects refused.
    }
  }

  #serve(socket: UnixSocket): void {
    this.stats.connections++;
    const channel = new FdPassChannel(socket);
    this.#channels.add(channel);
    // Responses go out one after another: an awkward write spans many turns of the event loop.
    let queue: Promise<void> = Promise.resolve();
    /** Styles of the responses written on this connection since its last request arrived. */
    let unacknowledged: ResponseStyle[] = [];
    const written = (style: ResponseStyle): void => void unacknowledged.push(style);
    channel.start({
      message: (value, fds) => {
        for (const style of unacknowledged) this.stats.survived.set(style, (this.stats.survived.get(style) ?? 0) + 1);
        unacknowledged = [];
        queue = queue.then(() => this.#answer(socket, value, fds, written)).catch(() => Fd.closeAll(fds));
      },
      close: (error) => {
        this.#channels.delete(channel);
        if (error instanceof FdPassError) this.stats.protocolErrors.push(`${error.reason}: ${error.message}`);
      },
      end: () => {
        void queue.then(() => channel.close());
      },
    });
  }

  async #answer(socket: UnixSocket, value: unknown, fds: Fd[], written: (style: ResponseStyle) => void): Promise<void> {
    try {
      if (!isRecord(value) || !('id' in value)) return; // notifications and stray responses: no answer
      const { id, method, params } = value;
      if (typeof method !== 'string') {
        written(await this.#write(socket, { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request' } }, []));
        return;
      }
      this.stats.calls.set(method, (this.stats.calls.get(method) ?? 0) + 1);
      let result: unknown = params ?? null;
      let outFds: Fd[] = [];
      switch (method) {
        case 'echo':
          break;
        case 'echoFds':
          outFds = fds;
          break;
        case 'readFile': {
          const fd = fds[0];
          if (fd === undefined) {
            written(await this.#write(socket, { jsonrpc: '2.0', id, error: { code: -32602, message: 'No file descriptor provided' } }, []));
            return;
          }
          result = await readFdText(fd.value, { maxBytes: READ_FILE_LIMIT, signal: AbortSignal.timeout(10_000) });
          break;
        }
        case 'createPipe':
          result = { message: 'pipe created' };
          outFds = [textPipe(PIPE_TEXT)];
          break;
        default:
          written(await this.#write(socket, { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } }, []));
          return;
      }
      try {
        written(await this.#write(socket, { jsonrpc: '2.0', id, result, ...(outFds.length > 0 ? { fds: outFds.length } : {}) }, outFds));
      } finally {
        if (outFds !== fds) Fd.closeAll(outFds);
      }
    } finally {
      Fd.closeAll(fds);
    }
  }

  /** Writes `message` in the next style of the rotation; resolves to that style once written. */
  async #write(socket: UnixSocket, message: object, fds: readonly Fd[]): Promise<ResponseStyle> {
    const style = RESPONSE_STYLES[this.#next++ % RESPONSE_STYLES.length]!;
    this.stats.styles.set(style, (this.stats.styles.get(style) ?? 0) + 1);
    // Whitespace between messages, in its own sendmsg so that fds still ride the message's first byte.
    await socket.write(Buffer.from('\r\n'));
    const bytes = Buffer.from(`${JSON.stringify(message)}\t`, 'utf8');
    switch (style) {
      case 'byte-split':
        // The trailing tab rides with the last JSON byte, and no pause follows that write: a client that
        // got the whole response may answer at once, and its next request must find this style recorded.
        for (let i = 0; i < bytes.length - 1; i++) {
          const last = i === bytes.length - 2;
          await socket.write(bytes.subarray(i, last ? bytes.length : i + 1), i === 0 ? fds : [], { filler: 0x20 });
          if (!last) await (i === 0 ? sleep(SPLIT_PAUSE_MS) : yieldToLoop());
        }
        return style;
      case 'fd-per-sendmsg': {
        const cut = bytes.length >> 1;
        await socket.write(bytes.subarray(0, cut), fds.slice(0, 1));
        await yieldToLoop();
        await socket.write(bytes.subarray(cut));
        if (fds.length > 1) await sleep(SPLIT_PAUSE_MS);
        for (const fd of fds.slice(1)) {
          await yieldToLoop();
          await socket.write(Buffer.from(' '), [fd]);
        }
        return style;
      }
      case 'late-fds':
        await socket.write(bytes);
        await (fds.length > 0 ? sleep(SPLIT_PAUSE_MS) : yieldToLoop());
        await socket.write(Buffer.from(' '), fds, { filler: 0x20 });
        return style;
    }
  }
}
