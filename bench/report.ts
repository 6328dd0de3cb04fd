import { formatValue, type Measured, type Measurements } from './measurements.js';

/** A comparison the bench reports: one of our measurements (or a baseline's) against a baseline. */
export interface CaseSpec {
  readonly name: string;
  readonly value: string;
  readonly baseline: string;
  /** The project's target on `ratio = value / baseline`, if any: at most (`lower` better) or at least. */
  readonly target?: number;
}

/** One row of `--json` output. */
export interface CaseResult {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline: number;
  readonly ratio: number;
  /** Which direction of `value` (and so of `ratio`) is better. */
  readonly better: 'lower' | 'higher';
  readonly valueName: string;
  readonly baselineName: string;
  /** e.g. `ratio <= 4`, when the project set a target for this comparison. */
  readonly target: string | null;
  readonly status: 'PASS' | 'MISS' | null;
  /** Min and max over the measured rounds, for judging noise. */
  readonly valueRange: readonly [number, number];
  readonly baselineRange: readonly [number, number];
}

/** Builds every case whose two measurements exist. */
export function buildCases(specs: readonly CaseSpec[], m: Measurements): CaseResult[] {
  const out: CaseResult[] = [];
  for (const spec of specs) {
    const value = m.byName.get(spec.value);
    const baseline = m.byName.get(spec.baseline);
    if (value === undefined || baseline === undefined) continue;
    if (value.unit !== baseline.unit) throw new Error(`${spec.name}: units differ`);
    out.push(toCase(spec, value, baseline));
  }
  return out;
}

function toCase(spec: CaseSpec, value: Measured, baseline: Measured): CaseResult {
  const ratio = value.median / baseline.median;
  const lower = value.better === 'lower';
  const target = spec.target === undefined ? null : `ratio ${lower ? '<=' : '>='} ${String(spec.target)}`;
  const status =
    spec.target === undefined ? null : (lower ? ratio <= spec.target : ratio >= spec.target) ? 'PASS' : 'MISS';
  return {
    name: spec.name,
    unit: value.unit,
    value: value.median,
    baseline: baseline.median,
    ratio,
    better: value.better,
    valueName: value.name,
    baselineName: baseline.name,
    target,
    status,
    valueRange: [value.min, value.max],
    baselineRange: [baseline.min, baseline.max],
  };
}

/** The human table: measurements first, then the comparisons with targets. */
export function formatTable(m: Measurements, cases: readonly CaseResult[], notes: readonly string[]): string {
  const lines: string[] = [];
  lines.push('Measurements (median of rounds; [min-max])');
  lines.push(
    table(
      ['measurement', 'median', 'unit', 'range', 'better'],
      [...m.byName.values()].map((x) => [
        x.name,
        formatValue(x.median),
        x.unit,
        `${formatValue(x.min)}-${formatValue(x.max)}`,
        x.better,
      ]),
    ),
  );
  lines.push('');
  lines.push('Comparisons (ratio = value / baseline)');
  lines.push(
    table(
      ['case', 'value', 'baseline', 'unit', 'ratio', 'better', 'target', 'status'],
      cases.map((c) => [
        c.name,
        formatValue(c.value),
        formatValue(c.baseline),
        c.unit,
        c.ratio.toFixed(2),
        `${c.better} value`,
        c.target ?? '',
        c.status ?? '',
      ]),
    ),
  );
  for (const f of m.failures) lines.push(`FAILED ${f.name}: ${f.error}`);
  for (const note of notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
