import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { JsonScanner } from '../../codec/json-scanner.js';
import { Fd, type FdLike } from '../../transport/fd.js';
import { connect, type UnixSocket } from '../../transport/unix-socket.js';

/**
 * One message the server sent, with the fds its `fds` member announced. They stay the connection's: it
 * closes them with itself (a case that keeps one longer must `take()` it).
 */
export interface ReceivedMessage {
  readonly value: unknown;
  readonly fds: Fd[];
}

/** How a {@link RawConnection} ended, as seen from our side. */
export type ConnectionEnd = 'eof' | 'error' | 'open';

/** A wait on a {@link RawConnection} ran out of time. */
export class RawConnectionTimeoutError extends Error {
  override readonly name = 'RawConnectionTimeoutError';
  readonly code = 'ERR_CONFORMANCE_TIMEOUT';
}

/**
 * A client connection driven at the byte level: each {@link write} is one sendmsg (unless the kernel
 * takes only part of it), with exactly the fds given on its first byte, so a case controls byte splits
 * and fd batching. What the server sends back is cut into JSON messages and its fds are handed out in
 * FIFO order (the server under test is the one being judged, not the way it batches).
 */
export class RawConnection implements AsyncDisposable {
  readonly #socket: UnixSocket;
  readonly #scanner = new JsonScanner();
  readonly #messages: ReceivedMessage[] = [];
  /** fds received and not yet handed out with a message. */
  readonly #fds: Fd[] = [];
  /** Every fd received: closed with the connection, so fds a case ignores (an answer it only checks) do not leak. */
  readonly #received: Fd[] = [];
  /** A parsed message still waiting for its fds. */
  #waiting: { value: unknown; count: number } | null = null;
  #end: ConnectionEnd = 'open';
  #error: Error | undefined;
  readonly #wakers = new Set<() => void>();
  #garbled: string | undefined;

  private constructor(socket: UnixSocket) {
    this.#socket = socket;
    socket.start({
      data: (bytes, fds) => this.#onData(bytes, fds),
      end: () => this.#finish('eof'),
      error: (error) => {
        this.#error = error;
        this.#finish('error');
      },
      close: () => this.#finish(this.#end === 'open' ? 'eof' : this.#end),
    });
  }

  static async open(path: string, signal?: AbortSignal): Promise<RawConnection> {
    return new RawConnection(await connect(path, signal ? { signal } : {}));
  }

  /** 'open' until the server closed (or reset) the connection. */
  get end(): ConnectionEnd {
    return this.#end;
  }

  /** The socket error that ended the connection, if any (e.g. ECONNRESET). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Set when the server's bytes were not a sequence of JSON messages. */
  get garbled(): string | undefined {
    return this.#garbled;
  }

  /** Messages received and not yet taken. */
  get buffered(): number {
    return this.#messages.length;
  }

  /** One write: `bytes` with `fds` riding its first byte. Resolves once handed to the kernel. */
  write(bytes: string | Uint8Array, fds: readonly FdLike[] = []): Promise<void> {
    return this.#socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, fds);
  }

  /** Writes `bytes` one byte per sendmsg, `fds` on the first, yielding to the event loop in between. */
  async writeByteByByte(bytes: string | Uint8Array, fds: readonly FdLike[] = []): Promise<void> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    for (let i = 0; i < data.length; i++) {
      await this.write(data.subarray(i, i + 1), i === 0 ? fds : []);
      await yieldToLoop();
    }
  }

  /** Shuts down our writing side (the server then sees EOF). */
  endWriting(): Promise<void> {
    return this.#socket.end();
  }

  /**
   * The next message, waiting up to `timeoutMs`. Resolves `null` when the connection ended first;
   * rejects with {@link RawConnectionTimeoutError} when time ran out.
   */
  async next(timeoutMs: number): Promise<ReceivedMessage | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.#messages.shift();
      if (message) return message;
      if (this.#end !== 'open') return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new RawConnectionTimeoutError(`no message within ${timeoutMs} ms`);
      await this.#waitForEvent(left);
    }
  }

  /** Collects messages until the connection ends; `null` when it is still open after `timeoutMs`. */
  async untilClosed(timeoutMs: number): Promise<ReceivedMessage[] | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#end === 'open') {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await this.#waitForEvent(left);
    }
    return this.#messages.splice(0);
  }

  /** Waits `ms` and returns whatever arrived meanwhile (to prove the server stayed silent). */
  async drain(ms: number): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + ms;
    for (let left = ms; left > 0 && this.#end === 'open'; left = deadline - Date.now()) await this.#waitForEvent(left);
    return this.#messages.splice(0);
  }

  /** Closes the socket and every fd received (those handed out with messages too, unless taken). */
  close(): void {
    this.#socket.destroy();
    this.#messages.length = 0;
    this.#fds.length = 0;
    Fd.closeAll(this.#received.splice(0));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#socket.whenClosed;
  }

  /** Resolves on the next data or end event, or after `ms`. */
  #waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  #notify(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  #finish(end: Exclude<ConnectionEnd, 'open'>): void {
    if (this.#end === 'open') this.#end = end;
    this.#notify();
  }

  #onData(bytes: Buffer, fds: Fd[]): void {
    this.#received.push(...fds);
    this.#fds.push(...fds);
    if (this.#garbled === undefined) {
      try {
        this.#scanner.push(bytes);
        this.#collect();
      } catch (error) {
        this.#garbled = error instanceof Error ? error.message : String(error);
      }
    }
    this.#notify();
  }

  #collect(): void {
    for (;;) {
      if (this.#waiting === null) {
        const scanned = this.#scanner.next();
        if (scanned === null) return;
        const value: unknown = JSON.parse(scanned.bytes.toString('utf8'));
        const count =
          typeof value === 'object' && value !== null && 'fds' in value && typeof value.fds === 'number' ? value.fds : 0;
        this.#waiting = { value, count: Number.isInteger(count) && count > 0 ? count : 0 };
      }
      if (this.#fds.length < this.#waiting.count) return;
      this.#messages.push({ value: this.#waiting.value, fds: this.#fds.splice(0, this.#waiting.count) });
      this.#waiting = null;
    }
  }
}
