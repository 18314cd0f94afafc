// Summaries of latency samples (milliseconds).

export interface Summary { n: number; mean: number; p50: number; p99: number; max: number }

/** Nearest-rank percentiles: p99 of 100 samples is the 99th smallest, never an interpolation. */
export function summarize(samples: number[]): Summary | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length, Math.max(1, Math.ceil(p * s.length))) - 1];
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: s.length, mean: round(s.reduce((a, b) => a + b, 0) / s.length), p50: round(rank(0.5)), p99: round(rank(0.99)), max: round(s[s.length - 1]) };
}

/** Most calls open at the same time, from each call's [start, end] interval. */
export function peakOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as [number, number][]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d));
  return peak;
}
