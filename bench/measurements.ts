import type { Sample } from './measure.js';

/** What one measured quantity is, and which way is better. */
export interface Measured extends Sample {
  readonly name: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
}

/** Measurements of one run, by name; skips the ones `--only` excludes and records the ones that failed. */
export class Measurements {
  readonly #only: string | null;
  readonly #log: (line: string) => void;
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

  /** Measures `name` unless excluded; a failure is recorded and reported, never fatal to the run. */
  async measure(name: string, unit: string, better: 'lower' | 'higher', run: () => Promise<Sample>): Promise<void> {
    if (!this.wants(name)) return;
    try {
      const sample = await run();
      this.byName.set(name, { name, unit, better, ...sample });
      this.#log(`  ${name}: ${formatValue(sample.median, unit)} ${unit}`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.failures.push({ name, error });
      this.#log(`  ${name}: FAILED (${error})`);
    }
  }
}

/** A value rounded for reading: 3 significant digits, large rates with thousands separators. */
export function formatValue(value: number, unit: string): string {
  if (value >= 10_000) return Math.round(value).toLocaleString('en-US');
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
