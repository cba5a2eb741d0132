// Figures over trials: nearest-rank percentiles and a one-line summary, so every benchmark prints
// the same shape (p50/p90/p99/max/mean) and a reader can compare them across runs.

/** Nearest-rank percentile (p in 0..100) of `values`; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const mean = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    mean,
  };
}

const ms = (value: number) => (Number.isNaN(value) ? "-" : `${value.toFixed(1)} ms`);

/** `label  p50 … p90 … p99 … max … mean … (n=…)`, label padded so columns line up. */
export function formatSummary(label: string, values: readonly number[], width = 38): string {
  const s = summarize(values);
  const cols = [
    `p50 ${ms(s.p50)}`,
    `p90 ${ms(s.p90)}`,
    `p99 ${ms(s.p99)}`,
    `max ${ms(s.max)}`,
    `mean ${ms(s.mean)}`,
  ];
  return `${label.padEnd(width)} ${cols.map((c) => c.padEnd(16)).join(" ")} (n=${s.n})`;
}

/** `goal: p50 < 1000 ms (met)` style verdict lines; figures are printed, never asserted. */
export function goalLine(label: string, value: number, limitMs: number): string {
  const verdict = Number.isNaN(value) ? "no data" : value < limitMs ? "met" : "MISSED";
  return `goal ${label} < ${limitMs} ms: ${ms(value)} (${verdict})`;
}

/** Count summary for small integers (dry-runs, reconciles per trial). */
export function formatCounts(label: string, values: readonly number[], width = 38): string {
  const s = summarize(values);
  const f = (v: number) => (Number.isNaN(v) ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(2));
  return `${label.padEnd(width)} p50 ${f(s.p50)}  p90 ${f(s.p90)}  max ${f(s.max)}  mean ${f(s.mean)}  total ${values.reduce((a, b) => a + b, 0)}`;
}

/**
 * Least-squares slope of `points` ([x, y] pairs) in y per unit of x; NaN for fewer than two
 * distinct x. The soak's growth figures (MiB per hour): one fit over every sample, so a single
 * spike (a GC pause, a storm) moves it far less than a first-versus-last difference would.
 */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}
