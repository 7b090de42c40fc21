import test from 'ava';
import { aggregate } from '../../../proxy/src/report/aggregate.js';
import { render, type ReportMeta } from '../../../proxy/src/report/format.js';
import { prediction, request } from '../../support/report-spans.js';

const service = 'tts-trace-proxy';
const T0 = Date.UTC(2026, 0, 1, 12);
const meta: ReportMeta = { zipkin: 'http://zipkin:9411', startMs: T0 - 3_600_000, endMs: T0, queries: 1, truncated: false };

function data() {
  const traces = [];
  for (let i = 1; i <= 4; i++) {
    traces.push(prediction({ service, arm: 'stable', version: 'v1', startMs: T0 - 60_000, queueMs: 10 * i, processMs: 100, ttfcMs: 50, rtf: 0.25,
      errorType: i === 4 ? 'app_error' : undefined }));
    traces.push(prediction({ service, arm: 'canary', version: 'v2', startMs: T0 - 60_000, queueMs: 20 * i, processMs: 150, ttfcMs: 60, rtf: 0.5 }));
  }
  traces.push(request({ service, arm: 'canary', version: 'v2', startMs: T0 - 60_000, errorType: 'session_not_found' }));
  return aggregate(traces, { service });
}

const lines = (text: string) => text.split('\n');
/** The line whose whitespace-separated cells start with these. */
const row = (text: string, ...cells: string[]) =>
  lines(text).find((l) => { const c = l.trim().split(/\s*\|\s*|\s{2,}/).filter(Boolean); return cells.every((x, i) => c[i] === x); });

test('table: header, per-arm rows, errors by type, latency rows and the comparison with the baseline', (t) => {
  const out = render(data(), meta, 'table');
  t.true(out.endsWith('\n'));
  t.regex(out, /^Service tts-trace-proxy, 2026-01-01T11:00:00\.000Z \.\. 2026-01-01T12:00:00\.000Z, 9 traces from http:\/\/zipkin:9411$/m);
  t.regex(out, /^Baseline: stable v1$/m);
  t.regex(row(out, 'stable', 'v1') ?? '', /^stable\s+v1\s+4\s+1\s+25\.0%\s+0\s+4\s+0\s+0\.0%$/);
  t.regex(row(out, 'canary', 'v2') ?? '', /^canary\s+v2\s+4\s+0\s+0\.0%\s+0\s+5\s+1\s+20\.0%$/);
  t.regex(row(out, 'stable', 'v1', 'app_error') ?? '', /\s1\s+25\.0%$/);
  // stable's completed queue waits are 10, 20, 30: p50 20, p95/p99 30.
  t.regex(row(out, 'stable', 'v1', 'queue wait (ms)') ?? '', /\s3\s+20\.0\s+30\.0\s+30\.0$/);
  t.regex(row(out, 'canary', 'v2', 'real-time factor') ?? '', /\s4\s+0\.500\s+0\.500\s+0\.500$/);
  t.regex(out, /^canary v2 vs stable v1: value \(difference, relative difference\)$/m);
  // canary queue waits 20..80: p50 40 vs 20 → +20 (+100%).
  t.regex(row(out, 'queue wait (ms)') ?? '', /^queue wait \(ms\)\s+4 vs 3\s+40\.0 \(\+20\.0, \+100\.0%\)\s+80\.0 \(\+50\.0, \+166\.7%\)\s+80\.0 \(\+50\.0, \+166\.7%\)\s.*not significant \(n < 20\)$/);
  t.regex(row(out, 'real-time factor') ?? '', /^real-time factor\s+4 vs 3\s+0\.500 \(\+0\.250, \+100\.0%\)/);
  t.regex(out, /^error rate 0\.0% vs 25\.0% \(-25\.0 pp\)$/m);
  t.notRegex(out, /Warning/);
});

test('markdown: GitHub tables with the same rows, numbers right-aligned', (t) => {
  const out = render(data(), meta, 'markdown');
  t.regex(out, /^## tts-trace-proxy report$/m);
  t.regex(out, /^### Per arm$/m);
  t.regex(out, /^\| arm \| version \| predictions \| errors \| error rate \|/m);
  t.regex(out, /^\|---\|---\|---:\|---:\|---:\|/m);
  t.true(lines(out).includes('| stable | v1 | 4 | 1 | 25.0% | 0 | 4 | 0 | 0.0% |'));
  t.true(lines(out).includes('| canary | v2 | 4 | 0 | 0.0% | 0 | 5 | 1 | 20.0% |'));
  t.true(lines(out).includes('| stable | v1 | app_error | 1 | 25.0% |'));
  t.regex(out, /^### canary v2 vs stable v1/m);
  t.true(lines(out).some((l) => l.startsWith('| queue wait (ms) | 4 vs 3 | 40.0 (+20.0, +100.0%) | 80.0 (+50.0, +166.7%) | 80.0 (+50.0, +166.7%) | ') && l.endsWith(' | not significant (n < 20) |')));
});

test('json: the aggregate plus window, method and paging facts', (t) => {
  const d = data();
  const out = JSON.parse(render(d, { ...meta, queries: 3, truncated: true }, 'json')) as Record<string, unknown>;
  t.is(out.service, service);
  t.deepEqual(out.window, { start: '2026-01-01T11:00:00.000Z', end: '2026-01-01T12:00:00.000Z' });
  t.is(out.queries, 3);
  t.is(out.truncated, true);
  t.is(out.percentile_method, 'nearest-rank');
  t.deepEqual(out.arms, JSON.parse(JSON.stringify(d.arms)));
  t.deepEqual(out.comparisons, JSON.parse(JSON.stringify(d.comparisons)));
  t.false('note' in out);
});

test('no data: one sentence in every text format, an empty list with a note in JSON', (t) => {
  const empty = aggregate([], { service: 'nobody' });
  const expected = 'No traces of service "nobody" in Zipkin at http://zipkin:9411 between 2026-01-01T11:00:00.000Z and 2026-01-01T12:00:00.000Z.\n';
  t.is(render(empty, meta, 'table'), expected);
  t.is(render(empty, meta, 'markdown'), expected);
  const json = JSON.parse(render(empty, meta, 'json')) as { arms: unknown[]; note: string };
  t.deepEqual(json.arms, []);
  t.is(json.note + '\n', expected);
});

test('a truncated read is flagged; arms without predictions show no latency rows', (t) => {
  const only = aggregate(request({ service, startMs: T0 - 1000 }), { service });
  const out = render(only, { ...meta, truncated: true }, 'table');
  t.regex(out, /^Warning: .*some traces may be missing/m);
  t.regex(row(out, '(none)', '(none)') ?? '', /\s0\s+0\s+-\s+0\s+1\s+0\s+0\.0%$/);
  t.regex(out, /^no prediction errors$/m);
  t.regex(out, /^no predictions$/m);
});

// Issue 11, defect 6: one prediction per arm printed identical p50/p95/p99 and "-64%" with no word
// of warning. Each comparison row now says how many samples each side has, and a difference that
// rests on fewer than --min-samples is not called significant.
test('tiny samples: n beside the comparison, "not significant" below the minimum, a Mann-Whitney verdict above it', (t) => {
  const one = aggregate([
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, queueMs: 10, processMs: 2500, ttfcMs: 100, rtf: 0.5 }),
    prediction({ service, arm: 'canary', version: 'v2', startMs: T0, queueMs: 10, processMs: 900, ttfcMs: 100, rtf: 0.5 }),
  ], { service });
  const out = render(one, meta, 'table');
  t.regex(row(out, 'processing (ms)') ?? '', /^processing \(ms\)\s+1 vs 1\s+900\.0 \(-1600\.0, -64\.0%\).*not significant \(n < 20\)$/);
  t.regex(out, /fewer than 20 samples on either side are not significant/);

  const many = [];
  for (let i = 0; i < 30; i++) {
    many.push(prediction({ service, arm: 'stable', version: 'v1', startMs: T0, queueMs: 10 + i, processMs: 1000 + 10 * i, ttfcMs: 100, rtf: 0.5 }));
    many.push(prediction({ service, arm: 'canary', version: 'v2', startMs: T0, queueMs: 10 + i, processMs: 1500 + 10 * i, ttfcMs: 100, rtf: 0.5 }));
  }
  const big = render(aggregate(many, { service }), meta, 'table');
  t.regex(row(big, 'processing (ms)') ?? '', /^processing \(ms\)\s+30 vs 30\s.*\+500\.0 \[\+\d+\.0, \+\d+\.0\]\s+<0\.001\s+significant$/);
  t.regex(row(big, 'queue wait (ms)') ?? '', /\s±0\.0 \[-\d+\.0, \+\d+\.0\]\s+1\.000\s+not significant$/);
  const lowered = render(aggregate(many, { service, minSamples: 40 }), meta, 'table');
  t.regex(row(lowered, 'processing (ms)') ?? '', /not significant \(n < 40\)$/);
  const json = JSON.parse(render(aggregate(many, { service }), meta, 'json')) as { min_samples: number; comparisons: { tests: Record<string, { n: number; baselineN: number; shift: number; significant: boolean | null }> }[] };
  t.is(json.min_samples, 20);
  t.like(json.comparisons[0]!.tests.processing_ms, { n: 30, baselineN: 30, shift: 500, significant: true });
});
