import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdPassChannel } from '../../src/fdpass/channel.js';
import type { ChannelOptions } from '../../src/fdpass/channel.js';
import { Fd } from '../../src/transport/fd.js';
import type { Transport } from '../../src/transport/transport.js';
import { memoryTransportPair, type MemoryTransport } from '../../src/transport/memory-transport.js';

/** A temp dir with files whose content names them, to check which fd went where. */
export class TempFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'fdpass-test-'));
  #n = 0;

  /** Opens `count` fresh files read-only; file i contains `${tag}${i}`. */
  open(count: number, tag = 'f'): Fd[] {
    return Array.from({ length: count }, (_, i) => {
      const path = join(this.dir, `${tag}-${this.#n++}`);
      writeFileSync(path, `${tag}${i}`);
      return new Fd(openSync(path, 'r'));
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Everything a started channel reported. */
export class Collector {
  readonly channel: FdPassChannel;
  readonly messages: { value: unknown; fds: Fd[] }[] = [];
  error: Error | undefined;
  closeCalls = 0;
  readonly closed: Promise<Error | undefined>;
  #waiters: (() => void)[] = [];

  constructor(transport: Transport, options?: ChannelOptions, startIt = true) {
    this.channel = new FdPassChannel(transport, options);
    let done!: (e: Error | undefined) => void;
    this.closed = new Promise((resolve) => (done = resolve));
    if (startIt) {
      this.channel.start({
        message: (value, fds) => {
          this.messages.push({ value, fds });
          this.#wake();
        },
        close: (error) => {
          this.closeCalls++;
          this.error = error;
          done(error);
          this.#wake();
        },
      });
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async waitFor(count: number): Promise<{ value: unknown; fds: Fd[] }[]> {
    while (this.messages.length < count) {
      if (this.closeCalls > 0) throw new Error(`closed (${String(this.error)}) after ${this.messages.length} of ${count} messages`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.messages;
  }

  /** Closes every fd handed to the handler. */
  closeReceived(): void {
    for (const m of this.messages) Fd.closeAll(m.fds);
  }
}

/** Lets queued immediates and I/O run. */
export function settle(turns = 5): Promise<void> {
  return new Promise((resolve) => {
    const step = (n: number): void => {
      if (n === 0) resolve();
      else setImmediate(() => step(n - 1));
    };
    step(turns);
  });
}

/** What the far end of a memory pair read: raw bytes, how many fds (closed at once), and EOF. */
export class RawPeer {
  bytes = Buffer.alloc(0);
  fds = 0;
  ended = false;
  constructor(t: MemoryTransport) {
    t.start({
      data: (b, fds) => {
        this.bytes = Buffer.concat([this.bytes, b]);
        this.fds += fds.length;
        Fd.closeAll(fds);
      },
      end: () => (this.ended = true),
      error: () => {},
      close: () => {},
    });
  }
  get text(): string {
    return this.bytes.toString('utf8');
  }
}

/** A channel on side b (reads are injected into b exactly as given); side a's raw view of what b sends. */
export function rawSetup(options?: ChannelOptions): { b: MemoryTransport; rx: Collector; peer: RawPeer } {
  const [a, b] = memoryTransportPair();
  const peer = new RawPeer(a);
  return { b, rx: new Collector(b, options), peer };
}
