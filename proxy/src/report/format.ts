// Renders a report as an aligned text table, GitHub markdown or JSON (pure).
import { METRICS, PERCENTILES, type ArmStats, type Comparison, type Delta, type Metric, type MetricTest, type ReportData } from './aggregate.js';
import { CONFIDENCE } from './significance.js';

export const FORMATS = ['table', 'markdown', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportMeta {
  zipkin: string;
  /** Window, epoch ms. */
  startMs: number;
  endMs: number;
  /** Zipkin queries made. */
  queries: number;
  /** Some traces may be missing (see zipkin-query.ts). */
  truncated: boolean;
}

export const PERCENTILE_METHOD = 'nearest-rank';
export const LATENCY_SCOPE = 'completed predictions (no error.type, gradio.end_reason completed or absent)';

const LABEL: Record<Metric, string> = {
  queue_wait_ms: 'queue wait (ms)',
  processing_ms: 'processing (ms)',
  time_to_first_chunk_ms: 'time to first chunk (ms)',
  total_ms: 'total (ms)',
  realtime_factor: 'real-time factor',
};

const digits = (m: Metric) => (m === 'realtime_factor' ? 3 : 1);
const num = (v: number | null, d: number) => (v === null ? '-' : v.toFixed(d));
const signed = (v: number, d: number) => (v > 0 ? '+' : v < 0 ? '' : '±') + v.toFixed(d);
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const iso = (ms: number) => new Date(ms).toISOString();
const armName = (a: { arm: string; version: string }) => `${a.arm} ${a.version}`;

function deltaCell(d: Delta, m: Metric): string {
  if (d.value === null) return '-';
  if (d.abs === null) return num(d.value, digits(m));
  const rel = d.rel === null ? '' : `, ${signed(d.rel * 100, 1)}%`;
  return `${num(d.value, digits(m))} (${signed(d.abs, digits(m))}${rel})`;
}

function shiftCell(r: MetricTest, m: Metric): string {
  if (r.shift === null) return '-';
  const ci = r.ci ? `${signed(r.ci[0], digits(m))}, ${signed(r.ci[1], digits(m))}` : '-';
  return `${signed(r.shift, digits(m))} [${ci}]`;
}

const pCell = (p: number | null) => (p === null ? '-' : p < 0.001 ? '<0.001' : p.toFixed(3));

function verdict(r: MetricTest, minSamples: number): string {
  if (r.significant === null) return r.n || r.baselineN ? `not significant (n < ${minSamples})` : '-';
  return r.significant ? 'significant' : 'not significant';
}

function errorRateLine(c: Comparison, base: ArmStats | undefined, arm: ArmStats | undefined): string {
  const diff = c.error_rate_diff === null ? '' : ` (${signed(c.error_rate_diff * 100, 1)} pp)`;
  return `error rate ${pct(arm?.error_rate ?? null)} vs ${pct(base?.error_rate ?? null)}${diff}`;
}

interface Table {
  title: string;
  head: string[];
  /** Columns aligned right (numbers). */
  right: number[];
  rows: string[][];
  note?: string;
}

function tables(data: ReportData): Table[] {
  const out: Table[] = [];
  out.push({
    title: 'Per arm',
    head: ['arm', 'version', 'predictions', 'errors', 'error rate', 'cancelled', 'http requests', 'http errors', 'http error rate'],
    right: [2, 3, 4, 5, 6, 7, 8],
    rows: data.arms.map((a) => [a.arm, a.version, String(a.predictions), String(a.errors), pct(a.error_rate), String(a.cancelled),
      String(a.http_requests), String(a.http_errors), pct(a.http_error_rate)]),
  });
  const errorRows = data.arms.flatMap((a) =>
    Object.entries(a.errors_by_type).map(([type, e]) => [a.arm, a.version, type, String(e.count), pct(e.rate)]));
  out.push({
    title: 'Prediction errors by error.type (rate = share of the arm\'s predictions)',
    head: ['arm', 'version', 'error.type', 'count', 'rate'],
    right: [3, 4],
    rows: errorRows,
    note: errorRows.length ? undefined : 'no prediction errors',
  });
  out.push({
    title: `Latency: ${PERCENTILE_METHOD} percentiles over ${LATENCY_SCOPE}`,
    head: ['arm', 'version', 'metric', 'n', 'p50', 'p95', 'p99'],
    right: [3, 4, 5, 6],
    rows: data.arms.filter((a) => a.predictions > 0).flatMap((a) => METRICS.map((m) => {
      const s = a.latency[m];
      return [a.arm, a.version, LABEL[m], String(s.n), num(s.p50, digits(m)), num(s.p95, digits(m)), num(s.p99, digits(m))];
    })),
    note: data.arms.some((a) => a.predictions > 0) ? undefined : 'no predictions',
  });
  for (const c of data.comparisons) {
    const base = data.arms.find((a) => a.arm === c.baseline.arm && a.version === c.baseline.version);
    const arm = data.arms.find((a) => a.arm === c.arm && a.version === c.version);
    const level = `${Math.round(CONFIDENCE * 100)}%`;
    out.push({
      title: `${armName(c)} vs ${armName(c.baseline)}: value (difference, relative difference)`,
      head: ['metric', 'n', ...PERCENTILES, `shift [${level} CI]`, 'p', 'verdict'],
      right: [1, 2, 3, 4, 5, 6],
      rows: METRICS.map((m) => [
        LABEL[m], `${c.tests[m].n} vs ${c.tests[m].baselineN}`, ...PERCENTILES.map((p) => deltaCell(c.latency[m][p], m)),
        shiftCell(c.tests[m], m), pCell(c.tests[m].p), verdict(c.tests[m], data.min_samples),
      ]),
      note: `${errorRateLine(c, base, arm)}\n` +
        `n: completed predictions with the metric, this arm vs the baseline; shift: Hodges-Lehmann estimate of the difference, ` +
        `with its ${level} interval; p: Mann-Whitney U, two-sided. Differences resting on fewer than ${data.min_samples} samples ` +
        'on either side are not significant (--min-samples).',
    });
  }
  return out;
}

function header(data: ReportData, meta: ReportMeta): string[] {
  const lines = [
    `Service ${data.service}, ${iso(meta.startMs)} .. ${iso(meta.endMs)}, ${data.traces} traces from ${meta.zipkin}`,
  ];
  if (data.baseline) lines.push(`Baseline: ${armName(data.baseline)}`);
  if (meta.truncated) lines.push('Warning: Zipkin returned a full page for a 1 ms slice (or too many queries): some traces may be missing; raise --limit.');
  return lines;
}

function noData(data: ReportData, meta: ReportMeta): string {
  return `No traces of service "${data.service}" in Zipkin at ${meta.zipkin} between ${iso(meta.startMs)} and ${iso(meta.endMs)}.`;
}

function renderText(t: Table): string[] {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (t.right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [t.title];
  if (t.rows.length) {
    out.push(line(t.head), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line));
  }
  if (t.note) out.push(t.note);
  return out;
}

function renderMarkdown(t: Table): string[] {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`### ${t.title}`, ''];
  if (t.rows.length) {
    out.push(`| ${t.head.map(esc).join(' | ')} |`);
    out.push(`|${t.head.map((_, i) => (t.right.includes(i) ? '---:' : '---')).join('|')}|`);
    for (const r of t.rows) out.push(`| ${r.map(esc).join(' | ')} |`);
    out.push('');
  }
  if (t.note) out.push(t.note, '');
  return out;
}

export function toJson(data: ReportData, meta: ReportMeta): object {
  return {
    service: data.service,
    zipkin: meta.zipkin,
    window: { start: iso(meta.startMs), end: iso(meta.endMs) },
    queries: meta.queries,
    truncated: meta.truncated,
    percentile_method: PERCENTILE_METHOD,
    latency_samples: LATENCY_SCOPE,
    traces: data.traces,
    baseline: data.baseline,
    min_samples: data.min_samples,
    arms: data.arms,
    comparisons: data.comparisons,
    ...(data.arms.length ? {} : { note: noData(data, meta) }),
  };
}

/** The report as text, ending with a newline. */
export function render(data: ReportData, meta: ReportMeta, format: Format): string {
  if (format === 'json') return JSON.stringify(toJson(data, meta), null, 2) + '\n';
  if (!data.arms.length) return noData(data, meta) + '\n';
  if (format === 'markdown') {
    const head = header(data, meta).map((l) => `${l}  `);
    return ['## tts-trace-proxy report', '', ...head, '', ...tables(data).flatMap(renderMarkdown)].join('\n').trimEnd() + '\n';
  }
  return [...header(data, meta), '', ...tables(data).flatMap((t) => [...renderText(t), ''])].join('\n').trimEnd() + '\n';
}
