/** One measured quantity: the median of several rounds, plus the spread for the reader. */
export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Summarises rounds already measured elsewhere (e.g. by the C program). */
export function summarize(values: readonly number[]): Sample {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Nanoseconds since an arbitrary origin, from the monotonic high-resolution clock. */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Microseconds elapsed since `startNs`. */
export function elapsedUs(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1000;
}
