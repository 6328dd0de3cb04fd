// Shared test harness for the transport tests: polling, fd flags and an event collector (fd counts
// and temp dirs are in test/support).
import { readFileSync } from 'node:fs';
import type { Fd } from '../../src/transport/fd.js';
import type { TransportHandlers } from '../../src/transport/transport.js';

/** Polls `pred` until true (fd closes after uv_close happen a loop turn later). */
export async function eventually(pred: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** True when `fd` has O_CLOEXEC set (per /proc/self/fdinfo, flags are octal). */
export function isCloexec(fd: number): boolean {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s+([0-7]+)/m.exec(info);
  if (!m?.[1]) throw new Error(`no flags in fdinfo of ${fd}`);
  return (parseInt(m[1], 8) & 0o2000000) !== 0;
}

export interface Received {
  readonly bytes: Buffer;
  readonly fds: Fd[];
}

/** Records every transport event; `until` waits for a condition over what arrived so far. */
export class Collector implements TransportHandlers {
  readonly events: Received[] = [];
  readonly log: string[] = [];
  ended = false;
  failure: Error | undefined;
  closedCount = 0;
  drains = 0;
  #waiters: (() => void)[] = [];

  get bytes(): Buffer {
    return Buffer.concat(this.events.map((e) => e.bytes));
  }
  get byteLength(): number {
    return this.events.reduce((n, e) => n + e.bytes.length, 0);
  }
  get fds(): Fd[] {
    return this.events.flatMap((e) => e.fds);
  }

  data(bytes: Buffer, fds: Fd[]): void {
    this.events.push({ bytes, fds });
    this.log.push('data');
    this.#wake();
  }
  end(): void {
    this.ended = true;
    this.log.push('end');
    this.#wake();
  }
  error(err: Error): void {
    this.failure = err;
    this.log.push('error');
    this.#wake();
  }
  close(): void {
    this.closedCount++;
    this.log.push('close');
    this.#wake();
  }
  drain(): void {
    this.drains++;
    this.#wake();
  }

  until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; log: ${this.log.slice(-5).join(',')}`)), timeoutMs);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  closeAllFds(): void {
    for (const fd of this.fds) fd.close();
  }

  #wake(): void {
    const ws = this.#waiters.splice(0);
    for (const w of ws) w();
  }
}
