// Is a latency difference between two arms real, or noise? The Mann-Whitney U test (no
// assumption about the shape of latency distributions, which are skewed and heavy-tailed) gives a
// two-sided p-value, and the Hodges-Lehmann estimate with its distribution-free confidence
// interval (the order statistics of the pairwise differences that the U distribution selects)
// says how large the shift is. The p-value is the normal approximation with tie and continuity
// correction (R's wilcox.test with `exact = FALSE, correct = TRUE` gives the same); the interval
// is the classic order-statistic one (Hollander & Wolfe). Written here because no maintained JS
// library has the test with its interval (simple-statistics gives the normal distribution).
import { errorFunction, probit } from 'simple-statistics';

export interface ShiftTest {
  readonly n: number;
  readonly baselineN: number;
  /** Hodges-Lehmann estimate of value - baseline (the median pairwise difference); null without samples. */
  readonly shift: number | null;
  /** Confidence interval of the shift; null when the samples are too few for this confidence. */
  readonly ci: readonly [number, number] | null;
  /** Two-sided p-value of "the two samples come from the same distribution"; null without samples. */
  readonly p: number | null;
}

export const CONFIDENCE = 0.95;
/** Pairwise differences computed at most (memory and time): larger samples are thinned evenly by rank. */
export const MAX_PAIRS = 250_000;

/** Average ranks (1-based) of the combined samples and the tie term Σ(t³ - t). */
function ranks(a: readonly number[], b: readonly number[]): { rankSumA: number; ties: number } {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let ties = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k]!.a) rankSumA += rank;
    ties += t * t * t - t;
    i = j + 1;
  }
  return { rankSumA, ties };
}

/** At most `k` values of a sorted sample, evenly spread by rank (both ends kept). */
function thin(sorted: readonly number[], k: number): number[] {
  if (sorted.length <= k) return [...sorted];
  return Array.from({ length: k }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (k - 1))]!);
}

/** `value` against `baseline`: shift = value - baseline. */
export function shiftTest(value: readonly number[], baseline: readonly number[], confidence = CONFIDENCE): ShiftTest {
  const n1 = value.length;
  const n2 = baseline.length;
  if (!n1 || !n2) return { n: n1, baselineN: n2, shift: null, ci: null, p: null };
  const N = n1 + n2;
  const { rankSumA, ties } = ranks(value, baseline);
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (N + 1 - ties / (N * (N - 1)));
  let p = 1;
  if (variance > 0) {
    const d = u - mean;
    const z = Math.abs(d - Math.sign(d) * 0.5) / Math.sqrt(variance);
    // Two-sided tail 2·(1 - Φ(z)) = 1 - erf(z/√2): simple-statistics' table CDF stops at z = 3.09.
    p = Math.min(1, Math.max(0, 1 - errorFunction(z / Math.SQRT2)));
  }

  const side = Math.max(2, Math.floor(Math.sqrt(MAX_PAIRS)));
  const a = thin([...value].sort((x, y) => x - y), side);
  const b = thin([...baseline].sort((x, y) => x - y), side);
  const diffs = new Float64Array(a.length * b.length);
  let i = 0;
  for (const x of a) for (const y of b) diffs[i++] = x - y;
  diffs.sort();
  const m = diffs.length;
  const shift = m % 2 ? diffs[(m - 1) / 2]! : (diffs[m / 2 - 1]! + diffs[m / 2]!) / 2;
  // The interval's ranks from the U distribution of the (thinned) sample sizes.
  const z = probit(1 - (1 - confidence) / 2);
  const c = Math.floor((a.length * b.length) / 2 - z * Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12));
  const ci: [number, number] | null = c >= 0 && c < m - c ? [diffs[c]!, diffs[m - c - 1]!] : null;
  return { n: n1, baselineN: n2, shift, ci, p };
}
