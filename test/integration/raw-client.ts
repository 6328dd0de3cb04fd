// A client that speaks raw bytes over a real Unix socket: it sends what no well-behaved peer would and
// records every JSON message that comes back, and how the connection ended.
import { JsonScanner } from '../../src/codec/json-scanner.js';
import type { FdLike } from '../../src/transport/fd.js';
import { Fd } from '../../src/transport/fd.js';
import { connect, type UnixSocket } from '../../src/transport/unix-socket.js';

export class RawClient {
  readonly socket: UnixSocket;
  readonly messages: Array<Record<string, unknown>> = [];
  /** fds that arrived (closed by {@link destroy}). */
  readonly fds: Fd[] = [];
  ended = false;
  failure: Error | undefined;
  closed = false;
  readonly #scanner = new JsonScanner();
  #waiters: Array<() => void> = [];

  private constructor(socket: UnixSocket) {
    this.socket = socket;
    socket.start({
      data: (bytes, fds) => {
        this.fds.push(...fds);
        this.#scanner.push(bytes);
        for (let v = this.#scanner.next(); v !== null; v = this.#scanner.next()) {
          this.messages.push(JSON.parse(v.bytes.toString('utf8')) as Record<string, unknown>);
        }
        this.#wake();
      },
      end: () => {
        this.ended = true;
        this.#wake();
      },
      error: (err) => {
        this.failure = err;
        this.#wake();
      },
      close: () => {
        this.closed = true;
        this.#wake();
      },
    });
  }

  static async connect(path: string): Promise<RawClient> {
    return new RawClient(await connect(path));
  }

  /** Writes `text` as one write; its fds ride its first byte. */
  write(text: string | Buffer, fds: readonly FdLike[] = []): Promise<void> {
    return this.socket.write(typeof text === 'string' ? Buffer.from(text) : text, fds, { filler: 0x20 });
  }

  /** Resolves once the peer ended or reset the connection (or it closed). */
  async waitGone(timeoutMs = 10_000): Promise<void> {
    await this.#until(() => this.ended || this.closed || this.failure !== undefined, timeoutMs);
  }

  /** Resolves once `count` messages arrived in total. */
  async waitMessages(count: number, timeoutMs = 10_000): Promise<Array<Record<string, unknown>>> {
    await this.#until(() => this.messages.length >= count || this.closed, timeoutMs);
    if (this.messages.length < count) throw new Error(`connection closed after ${this.messages.length} of ${count} messages`);
    return this.messages;
  }

  destroy(): Promise<void> {
    Fd.closeAll(this.fds);
    this.socket.destroy();
    return this.socket.whenClosed;
  }

  #until(pred: () => boolean, timeoutMs: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('raw client: condition not reached in time')), timeoutMs);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
