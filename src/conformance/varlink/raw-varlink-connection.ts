import { NulFramer } from '../../codec/nul-framer.js';
import { Fd, type FdLike } from '../../transport/fd.js';
import type { Transport } from '../../transport/transport.js';
import { connectVarlinkAddress, type VarlinkAddress } from '../../varlink/address.js';
import { parseVarlinkJson } from '../../varlink/idl/varlink-json.js';
import { CaseFailure } from '../live/live-case.js';

/** One message the service sent, and the fds that arrived while it was being read. */
export interface RawVarlinkMessage {
  readonly value: unknown;
  readonly fds: Fd[];
}

/**
 * A Varlink connection driven at the byte level, for judging a service: each {@link write} goes out
 * as given (malformed calls included), and what comes back is cut at NUL bytes and parsed. fds that
 * arrive are attached to the message completed by the same read (reads stop at each NUL).
 */
export class RawVarlinkConnection implements AsyncDisposable {
  readonly #transport: Transport;
  readonly #framer = new NulFramer({ maxMessageBytes: 16 * 1024 * 1024 });
  readonly #messages: RawVarlinkMessage[] = [];
  #fds: Fd[] = [];
  #ended: 'open' | 'eof' | 'error' = 'open';
  #garbled: string | undefined;
  readonly #wakers = new Set<() => void>();

  private constructor(transport: Transport) {
    this.#transport = transport;
    transport.setReadBoundary(0);
    transport.start({
      data: (bytes, fds) => this.#onData(bytes, fds),
      end: () => this.#finish('eof'),
      error: () => this.#finish('error'),
      close: () => this.#finish(this.#ended === 'open' ? 'eof' : this.#ended),
    });
  }

  static async open(address: VarlinkAddress, signal?: AbortSignal): Promise<RawVarlinkConnection> {
    const { transport } = await connectVarlinkAddress(address, signal ? { signal } : {});
    return new RawVarlinkConnection(transport);
  }

  /** 'open' until the service closed (or reset) the connection. */
  get ended(): 'open' | 'eof' | 'error' {
    return this.#ended;
  }

  /** Writes raw bytes (a NUL is not added) with `fds` on the first byte. */
  write(bytes: string | Uint8Array, fds: readonly FdLike[] = []): Promise<void> {
    return this.#transport.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, fds);
  }

  /** Writes one message: `value` as JSON plus the NUL. */
  send(value: unknown, fds: readonly FdLike[] = []): Promise<void> {
    return this.write(`${JSON.stringify(value)}\0`, fds);
  }

  /** The next message; fails the case when none arrives within `timeoutMs` or the connection ends. */
  async receive(timeoutMs: number, what: string): Promise<RawVarlinkMessage> {
    await this.#waitFor(() => this.#messages.length > 0 || this.#ended !== 'open' || this.#garbled !== undefined, timeoutMs);
    const message = this.#messages.shift();
    if (message !== undefined) return message;
    if (this.#garbled !== undefined) throw new CaseFailure(`${what}: the service sent ${this.#garbled}`);
    if (this.#ended !== 'open') throw new CaseFailure(`${what}: the service closed the connection instead of replying`);
    throw new CaseFailure(`${what}: no reply within ${timeoutMs} ms`);
  }

  /** Resolves true when the service closed the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    await this.#waitFor(() => this.#ended !== 'open', timeoutMs);
    return this.#ended !== 'open';
  }

  /** Messages received and not yet taken (closing their fds). */
  drain(): unknown[] {
    const taken = this.#messages.splice(0);
    for (const m of taken) Fd.closeAll(m.fds);
    return taken.map((m) => m.value);
  }

  /** Waits `ms`, then returns the messages that arrived meanwhile (closing their fds). */
  async collectFor(ms: number): Promise<unknown[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.drain();
  }

  destroy(): void {
    this.drain();
    Fd.closeAll(this.#fds);
    this.#fds = [];
    this.#transport.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.destroy();
  }

  #onData(bytes: Buffer, fds: Fd[]): void {
    this.#fds.push(...fds);
    this.#framer.push(bytes);
    try {
      for (let frame = this.#framer.next(); frame !== null; frame = this.#framer.next()) {
        let value: unknown;
        try {
          value = parseVarlinkJson(frame.toString('utf8'));
        } catch {
          this.#garbled = `a message that is not JSON: ${JSON.stringify(frame.toString('utf8').slice(0, 80))}`;
          return;
        }
        this.#messages.push({ value, fds: this.#fds });
        this.#fds = [];
      }
    } catch (error) {
      this.#garbled = error instanceof Error ? error.message : String(error);
    } finally {
      this.#wake();
    }
  }

  #finish(how: 'eof' | 'error'): void {
    if (this.#ended === 'open') this.#ended = how;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#wakers) w();
  }

  async #waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        done();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(check);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#wakers.add(check);
    });
  }
}
