import { forceGc } from './force-gc.js';
import { summarize, type Sample } from './measure.js';
import type { Round } from './workloads.js';

/** What one measured quantity is, and which way is better. */
export interface Measured extends Sample {
  readonly name: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
}

interface Planned {
  readonly name: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  readonly round: Round;
  readonly values: number[];
  failed: boolean;
}

/**
 * The measurements of one run. Rounds are interleaved: every measurement runs its warm-up round, then
 * round 1 of every measurement runs, then round 2, and so on (each round starting one place further
 * along the list). Load from other processes on a shared machine then falls on all implementations
 * alike instead of on whichever ran during a burst. Each round starts after a full GC.
 */
export class Measurements {
  readonly #only: string | null;
  readonly #log: (line: string) => void;
  readonly #plan: Planned[] = [];
  readonly byName = new Map<string, Measured>();
  readonly failures: { name: string; error: string }[] = [];

  constructor(only: string | null, log: (line: string) => void) {
    this.#only = only;
    this.#log = log;
  }

  /** True when `name` is selected by `--only`. */
  wants(name: string): boolean {
    return this.#only === null || name.includes(this.#only);
  }

  /** Plans `name` (unless `--only` excludes it); `round` runs once per round and returns the figure. */
  add(name: string, unit: string, better: 'lower' | 'higher', round: Round): void {
    if (this.wants(name)) this.#plan.push({ name, unit, better, round, values: [], failed: false });
  }

  /** Records a failure found outside a round (e.g. a setup or a check). */
  fail(name: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failures.push({ name, error: message });
    this.#log(`  ${name}: FAILED (${message})`);
  }

  /** Runs everything planned so far, interleaved; a failing measurement is dropped, never fatal. */
  async run(rounds: number): Promise<void> {
    const plan = this.#plan.splice(0);
    const once = async (p: Planned, record: boolean): Promise<void> => {
      if (p.failed) return;
      forceGc();
      try {
        const value = await p.round();
        if (record) p.values.push(value);
      } catch (err) {
        p.failed = true;
        this.fail(p.name, err);
      }
    };
    for (const p of plan) await once(p, false);
    for (let r = 0; r < rounds; r++) {
      this.#log(`  round ${r + 1}/${rounds}`);
      for (let i = 0; i < plan.length; i++) await once(plan[(i + r) % plan.length]!, true);
    }
    for (const p of plan) {
      if (p.failed || p.values.length === 0) continue;
      const sample = summarize(p.values);
      this.byName.set(p.name, { name: p.name, unit: p.unit, better: p.better, ...sample });
      this.#log(`  ${p.name}: ${formatValue(sample.median)} ${p.unit}`);
    }
  }
}

/** A value rounded for reading: 3 significant digits, large numbers with thousands separators. */
export function formatValue(value: number): string {
  if (value >= 10_000) return Math.round(value).toLocaleString('en-US');
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
