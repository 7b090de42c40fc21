// Per-arm statistics from Zipkin v2 spans (pure: no I/O). What is read, from docs/tracing-schema.md:
// a prediction is a `gradio.predict {api_name}` span (its duration is the total), its children
// `gradio.queue` and `gradio.process` give the queue wait and the processing time, its tags
// `tts.time_to_first_chunk_ms` and `tts.realtime_factor` the rest; an HTTP request is a SERVER
// span. Both are grouped by `tts.upstream.arm` + `deployment.version` and count as failed when
// they carry `error.type`.
//
// Percentiles are nearest-rank: the p-th percentile of n sorted samples is the sample at rank
// ceil(p/100 · n) (1-based), always an observed value. Latency samples come from completed
// predictions only (no `error.type`, and `gradio.end_reason` absent or `completed`): a failed or
// cancelled prediction's duration says how long it took to fail, not how fast the version is.
//
// A difference between two arms is only a difference when the samples carry it: each comparison
// also holds a Mann-Whitney test and a Hodges-Lehmann shift with its interval (significance.ts),
// and a metric with fewer than `minSamples` samples on either side is never called significant.

import { CONFIDENCE, shiftTest, type ShiftTest } from './significance.js';

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: string;
  /** epoch microseconds */
  timestamp?: number;
  /** microseconds */
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

export const METRICS = ['queue_wait_ms', 'processing_ms', 'time_to_first_chunk_ms', 'total_ms', 'realtime_factor'] as const;
export type Metric = (typeof METRICS)[number];
export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];
const PERCENT: Record<Percentile, number> = { p50: 50, p95: 95, p99: 99 };

/** Shown for spans without the tag. */
export const NONE = '(none)';
export const DEFAULT_BASELINE = 'stable';
/** Fewer samples than this on either side: a difference is not called significant. */
export const DEFAULT_MIN_SAMPLES = 20;

export type Summary = { n: number } & Record<Percentile, number | null>;

export interface ArmStats {
  arm: string;
  version: string;
  /** `gradio.predict` spans. */
  predictions: number;
  /** Predictions with `error.type`. */
  errors: number;
  /** errors / predictions; null without predictions. */
  error_rate: number | null;
  /** error.type → count and share of all predictions of this arm. */
  errors_by_type: Record<string, { count: number; rate: number }>;
  /** Predictions that ended `cancelled` (the client left): not errors, not latency samples. */
  cancelled: number;
  /** `tts.upstream.replica` → predictions. */
  replicas: Record<string, number>;
  /** SERVER spans. */
  http_requests: number;
  /** SERVER spans with `error.type`. */
  http_errors: number;
  http_error_rate: number | null;
  latency: Record<Metric, Summary>;
}

export interface Delta {
  baseline: number | null;
  value: number | null;
  /** value - baseline */
  abs: number | null;
  /** (value - baseline) / baseline; null when the baseline is 0 or either side is missing */
  rel: number | null;
}

export interface Comparison {
  arm: string;
  version: string;
  baseline: { arm: string; version: string };
  /** error_rate - baseline error_rate (a fraction: 0.1 = 10 percentage points). */
  error_rate_diff: number | null;
  latency: Record<Metric, Record<Percentile, Delta>>;
  /** Per metric: is the arm's distribution shifted from the baseline's, and by how much. */
  tests: Record<Metric, MetricTest>;
}

export interface MetricTest extends ShiftTest {
  /** p below 1 - confidence; null when either side has fewer than `min_samples` samples. */
  readonly significant: boolean | null;
}

export interface ReportData {
  service: string;
  /** Traces that had at least one span of the service. */
  traces: number;
  arms: ArmStats[];
  baseline: { arm: string; version: string } | null;
  comparisons: Comparison[];
  min_samples: number;
}

export interface AggregateOptions {
  service: string;
  /** Arm to compare the others with (default `stable`; the first arm when absent). */
  baseline?: string;
  /** Default DEFAULT_MIN_SAMPLES. */
  minSamples?: number;
}

/** Nearest-rank percentile of ascending-sorted samples; null for none. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const s = { n: sorted.length } as Summary;
  for (const p of PERCENTILES) s[p] = nearestRank(sorted, PERCENT[p]);
  return s;
}

function tagNumber(tags: Record<string, string> | undefined, key: string): number | undefined {
  const raw = tags?.[key];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

const isPredict = (s: ZipkinSpan) => /^gradio\.predict(\s|$)/i.test(s.name ?? '');
const isServer = (s: ZipkinSpan) => (s.kind ?? '').toUpperCase() === 'SERVER';

interface Group {
  arm: string;
  version: string;
  predictions: number;
  errors: Map<string, number>;
  cancelled: number;
  replicas: Map<string, number>;
  http: number;
  httpErrors: number;
  samples: Record<Metric, number[]>;
}

function newGroup(arm: string, version: string): Group {
  const samples = {} as Record<Metric, number[]>;
  for (const m of METRICS) samples[m] = [];
  return { arm, version, predictions: 0, errors: new Map(), cancelled: 0, replicas: new Map(), http: 0, httpErrors: 0, samples };
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

function stats(g: Group): ArmStats {
  const errors = [...g.errors.values()].reduce((a, b) => a + b, 0);
  const byType: ArmStats['errors_by_type'] = {};
  for (const [type, count] of [...g.errors].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    byType[type] = { count, rate: count / g.predictions };
  }
  const latency = {} as Record<Metric, Summary>;
  for (const m of METRICS) latency[m] = summarize(g.samples[m]);
  return {
    arm: g.arm, version: g.version,
    predictions: g.predictions, errors, error_rate: rate(errors, g.predictions), errors_by_type: byType,
    cancelled: g.cancelled,
    replicas: Object.fromEntries([...g.replicas].sort((a, b) => a[0].localeCompare(b[0]))),
    http_requests: g.http, http_errors: g.httpErrors, http_error_rate: rate(g.httpErrors, g.http),
    latency,
  };
}

function delta(baseline: number | null, value: number | null): Delta {
  const abs = baseline !== null && value !== null ? value - baseline : null;
  const rel = abs !== null && baseline !== 0 ? abs / baseline! : null;
  return { baseline, value, abs, rel };
}

type Samples = Record<Metric, number[]>;

export function compare(arm: ArmStats, base: ArmStats, armSamples: Samples, baseSamples: Samples, minSamples = DEFAULT_MIN_SAMPLES): Comparison {
  const latency = {} as Comparison['latency'];
  const tests = {} as Comparison['tests'];
  for (const m of METRICS) {
    const d = {} as Record<Percentile, Delta>;
    for (const p of PERCENTILES) d[p] = delta(base.latency[m][p], arm.latency[m][p]);
    latency[m] = d;
    const r = shiftTest(armSamples[m], baseSamples[m]);
    const enough = r.n >= minSamples && r.baselineN >= minSamples;
    tests[m] = { ...r, significant: enough ? r.p !== null && r.p < 1 - CONFIDENCE : null };
  }
  return {
    arm: arm.arm, version: arm.version, baseline: { arm: base.arm, version: base.version },
    error_rate_diff: arm.error_rate !== null && base.error_rate !== null ? arm.error_rate - base.error_rate : null,
    latency,
    tests,
  };
}

/** Groups sorted: the baseline arm first, then by arm and version name, spans without an arm last. */
function order(baseline: string) {
  const rank = (a: ArmStats) => (a.arm === baseline ? 0 : a.arm === NONE ? 2 : 1);
  return (a: ArmStats, b: ArmStats) =>
    rank(a) - rank(b) || a.arm.localeCompare(b.arm) || a.version.localeCompare(b.version);
}

/**
 * Aggregates traces (or a flat list of spans) for one service. Spans are deduplicated by
 * trace id + span id + kind, so overlapping query pages do no harm.
 */
export function aggregate(input: readonly (ZipkinSpan | readonly ZipkinSpan[])[], options: AggregateOptions): ReportData {
  const service = options.service.toLowerCase();
  const seen = new Set<string>();
  const spans: ZipkinSpan[] = [];
  for (const item of input) {
    for (const s of Array.isArray(item) ? (item as readonly ZipkinSpan[]) : [item as ZipkinSpan]) {
      if ((s.localEndpoint?.serviceName ?? '').toLowerCase() !== service) continue;
      const key = `${s.traceId}/${s.id}/${s.kind ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      spans.push(s);
    }
  }

  const children = new Map<string, ZipkinSpan[]>();
  for (const s of spans) {
    if (!s.parentId) continue;
    const k = `${s.traceId}/${s.parentId}`;
    const list = children.get(k);
    if (list) list.push(s); else children.set(k, [s]);
  }
  const childDurationMs = (parent: ZipkinSpan, name: string): number | undefined => {
    const c = children.get(`${parent.traceId}/${parent.id}`)?.find((x) => (x.name ?? '').toLowerCase() === name);
    return c?.duration !== undefined ? c.duration / 1000 : undefined;
  };

  const groups = new Map<string, Group>();
  const groupOf = (s: ZipkinSpan): Group => {
    const arm = s.tags?.['tts.upstream.arm'] || NONE;
    const version = s.tags?.['deployment.version'] || NONE;
    const key = `${arm}\u0000${version}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = newGroup(arm, version)));
    return g;
  };

  const traces = new Set<string>();
  for (const s of spans) {
    traces.add(s.traceId);
    if (isServer(s)) {
      const g = groupOf(s);
      g.http++;
      if (s.tags?.['error.type']) g.httpErrors++;
      continue;
    }
    if (!isPredict(s)) continue;
    const g = groupOf(s);
    g.predictions++;
    const replica = s.tags?.['tts.upstream.replica'];
    if (replica) g.replicas.set(replica, (g.replicas.get(replica) ?? 0) + 1);
    const errorType = s.tags?.['error.type'];
    if (errorType) {
      g.errors.set(errorType, (g.errors.get(errorType) ?? 0) + 1);
      continue;
    }
    const endReason = s.tags?.['gradio.end_reason'];
    if (endReason && endReason !== 'completed') {
      if (endReason === 'cancelled') g.cancelled++;
      continue;
    }
    const sample = (m: Metric, v: number | undefined) => { if (v !== undefined) g.samples[m].push(v); };
    sample('queue_wait_ms', childDurationMs(s, 'gradio.queue'));
    sample('processing_ms', childDurationMs(s, 'gradio.process'));
    sample('time_to_first_chunk_ms', tagNumber(s.tags, 'tts.time_to_first_chunk_ms'));
    sample('total_ms', s.duration !== undefined ? s.duration / 1000 : undefined);
    sample('realtime_factor', tagNumber(s.tags, 'tts.realtime_factor'));
  }

  const wanted = options.baseline ?? DEFAULT_BASELINE;
  const samplesOf = new Map<ArmStats, Samples>();
  const arms = [...groups.values()].map((g) => { const a = stats(g); samplesOf.set(a, g.samples); return a; }).sort(order(wanted));
  // The baseline: the wanted arm (its version with the most predictions), else the first arm.
  const candidates = arms.filter((a) => a.arm === wanted).sort((a, b) => b.predictions - a.predictions);
  const base = candidates[0] ?? arms.find((a) => a.arm !== NONE) ?? arms[0];
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  const comparisons = base
    ? arms.filter((a) => a !== base && a.arm !== NONE).map((a) => compare(a, base, samplesOf.get(a)!, samplesOf.get(base)!, minSamples))
    : [];
  return {
    service: options.service,
    traces: traces.size,
    arms,
    baseline: base ? { arm: base.arm, version: base.version } : null,
    comparisons,
    min_samples: minSamples,
  };
}
