// `tts-trace-proxy report` against the real (shared) Zipkin: a synthetic but schema-true set of
// proxy spans for two arms is posted, the real CLI reads it back, and counts, error rates,
// nearest-rank percentiles and arm differences must come out exactly.
import test from 'ava';
import { execFile } from 'node:child_process';
import type { ZipkinSpan } from '../support/zipkin.js';
import { closedPort } from '../support/ports.js';
import { MAIN } from '../support/proxy.js';
import { hex, prediction, request } from '../support/report-spans.js';
import { findTraces, postSpans, zipkinUrl } from '../support/zipkin.js';

interface Run { code: number; stdout: string; stderr: string }
function report(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'report', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// The synthetic run. stable v1: 30 predictions i = 1..30 over replicas stable-0/1; i = 28 fails
// with queue_full, 29 and 30 with app_error. canary v2: 10 predictions j = 1..10 on canary-0; j = 9
// fails with app_error, j = 10 with session_not_found (and so does its queue/data request).
// Each prediction also has a queue/data request (a trace of its own); one /config request has no arm.
const S = (i: number) => ({ queue: 3 * i, process: 500 + 10 * i, ttfc: 100 + 2 * i, rtf: (200 + i) / 1000 });
const C = (j: number) => ({ queue: 5 * j, process: 400 + 20 * j, ttfc: 150 + j, rtf: (300 + j) / 1000 });
const total = (x: { queue: number; process: number }) => x.queue + x.process + 5; // report-spans' default

const service = `report-e2e-${hex(4)}`;
let zipkin: string;

test.before(async () => {
  zipkin = await zipkinUrl();
  const now = Date.now();
  const traces: ZipkinSpan[][] = [];
  // One trace every 1.5 s, ending 20 s ago: all inside --since 10m, none on a shared millisecond.
  let k = 0;
  const at = () => now - 20_000 - 1500 * k++;
  for (let i = 1; i <= 30; i++) {
    const v = S(i);
    traces.push(prediction({
      service, arm: 'stable', version: 'v1', replica: `stable-${i % 2}`, startMs: at(),
      queueMs: v.queue, processMs: v.process, ttfcMs: v.ttfc, rtf: v.rtf,
      errorType: i === 28 ? 'queue_full' : i >= 29 ? 'app_error' : undefined,
    }));
    traces.push(request({ service, arm: 'stable', version: 'v1', startMs: at() }));
  }
  for (let j = 1; j <= 10; j++) {
    const v = C(j);
    traces.push(prediction({
      service, arm: 'canary', version: 'v2', replica: 'canary-0', startMs: at(),
      queueMs: v.queue, processMs: v.process, ttfcMs: v.ttfc, rtf: v.rtf,
      errorType: j === 9 ? 'app_error' : j === 10 ? 'session_not_found' : undefined,
    }));
    traces.push(request({ service, arm: 'canary', version: 'v2', startMs: at(), errorType: j === 10 ? 'session_not_found' : undefined }));
  }
  traces.push(request({ service, startMs: at(), name: 'get /config' }));
  // The worker's span inside a proxy trace: another service, so not counted.
  const first = traces[0]!;
  first.push({ ...first[1]!, id: hex(8), parentId: first[1]!.id, localEndpoint: { serviceName: `${service}-worker` } });
  await postSpans(traces.flat());
  // Zipkin indexes asynchronously: wait until every trace can be found.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await findTraces({ serviceName: service, lookbackMs: 10 * 60_000, limit: 1000 });
    if (found.length === traces.length) break;
    if (Date.now() > deadline) throw new Error(`Zipkin has ${found.length} of ${traces.length} traces`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

interface Json {
  service: string; traces: number; queries: number; truncated: boolean; percentile_method: string;
  baseline: { arm: string; version: string };
  arms: {
    arm: string; version: string; predictions: number; errors: number; error_rate: number | null;
    errors_by_type: Record<string, { count: number; rate: number }>; replicas: Record<string, number>;
    http_requests: number; http_errors: number; http_error_rate: number | null;
    latency: Record<string, { n: number; p50: number | null; p95: number | null; p99: number | null }>;
  }[];
  comparisons: { arm: string; version: string; baseline: { arm: string; version: string }; error_rate_diff: number;
    latency: Record<string, Record<string, { baseline: number; value: number; abs: number; rel: number }>> }[];
}

async function jsonReport(extra: string[] = []): Promise<Json> {
  const r = await report(['--zipkin', zipkin, '--since', '10m', '--service', service, '--format', 'json', ...extra]);
  if (r.code !== 0) throw new Error(`report exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

test('json: per arm counts, error rates by error.type and nearest-rank percentiles, exactly', async (t) => {
  const out = await jsonReport();
  t.is(out.service, service);
  t.is(out.traces, 81);
  t.false(out.truncated);
  t.is(out.percentile_method, 'nearest-rank');
  t.deepEqual(out.arms.map((a) => `${a.arm} ${a.version}`), ['stable v1', 'canary v2', '(none) (none)']);
  t.deepEqual(out.baseline, { arm: 'stable', version: 'v1' });
  const [stable, canary, none] = out.arms as [Json['arms'][0], Json['arms'][0], Json['arms'][0]];

  t.is(stable.predictions, 30);
  t.is(stable.http_requests, 60);
  t.is(stable.http_errors, 0);
  t.is(stable.errors, 3);
  t.is(stable.error_rate, 3 / 30);
  t.deepEqual(stable.errors_by_type, { app_error: { count: 2, rate: 2 / 30 }, queue_full: { count: 1, rate: 1 / 30 } });
  t.deepEqual(stable.replicas, { 'stable-0': 15, 'stable-1': 15 });
  // 27 completed (i = 1..27): p50 = rank ceil(13.5) = 14, p95 = rank ceil(25.65) = 26, p99 = rank ceil(26.73) = 27.
  const s = (f: (v: ReturnType<typeof S>) => number) => ({ n: 27, p50: f(S(14)), p95: f(S(26)), p99: f(S(27)) });
  t.deepEqual(stable.latency.queue_wait_ms, s((v) => v.queue));
  t.deepEqual(stable.latency.processing_ms, s((v) => v.process));
  t.deepEqual(stable.latency.time_to_first_chunk_ms, s((v) => v.ttfc));
  t.deepEqual(stable.latency.total_ms, s(total));
  t.deepEqual(stable.latency.realtime_factor, s((v) => v.rtf));

  t.is(canary.predictions, 10);
  t.is(canary.http_requests, 20);
  t.is(canary.http_errors, 1);
  t.is(canary.http_error_rate, 1 / 20);
  t.is(canary.errors, 2);
  t.is(canary.error_rate, 2 / 10);
  t.deepEqual(canary.errors_by_type, { app_error: { count: 1, rate: 0.1 }, session_not_found: { count: 1, rate: 0.1 } });
  t.deepEqual(canary.replicas, { 'canary-0': 10 });
  // 8 completed (j = 1..8): p50 = rank 4, p95 = rank ceil(7.6) = 8, p99 = rank ceil(7.92) = 8.
  const c = (f: (v: ReturnType<typeof C>) => number) => ({ n: 8, p50: f(C(4)), p95: f(C(8)), p99: f(C(8)) });
  t.deepEqual(canary.latency.queue_wait_ms, c((v) => v.queue));
  t.deepEqual(canary.latency.processing_ms, c((v) => v.process));
  t.deepEqual(canary.latency.time_to_first_chunk_ms, c((v) => v.ttfc));
  t.deepEqual(canary.latency.total_ms, c(total));
  t.deepEqual(canary.latency.realtime_factor, c((v) => v.rtf));

  t.is(none.predictions, 0);
  t.is(none.http_requests, 1);

  t.is(out.comparisons.length, 1);
  const d = out.comparisons[0]!;
  t.deepEqual([d.arm, d.version, d.baseline], ['canary', 'v2', { arm: 'stable', version: 'v1' }]);
  t.is(d.error_rate_diff, 2 / 10 - 3 / 30);
  const delta = (b: number, v: number) => ({ baseline: b, value: v, abs: v - b, rel: (v - b) / b });
  t.deepEqual(d.latency.total_ms!.p50, delta(total(S(14)), total(C(4))));
  t.deepEqual(d.latency.processing_ms!.p95, delta(S(26).process, C(8).process));
  t.deepEqual(d.latency.queue_wait_ms!.p99, delta(S(27).queue, C(8).queue));
  t.deepEqual(d.latency.realtime_factor!.p50, delta(S(14).rtf, C(4).rtf));
});

test('paging: with --limit 7 the window is read in time slices and gives the same report', async (t) => {
  const whole = await jsonReport();
  const paged = await jsonReport(['--limit', '7']);
  t.is(whole.queries, 1);
  t.true(paged.queries > 81 / 7, `${paged.queries} queries`);
  t.false(paged.truncated);
  t.is(paged.traces, 81);
  t.deepEqual(paged.arms, whole.arms);
  t.deepEqual(paged.comparisons, whole.comparisons);
});

test('table and markdown render the per-arm rows, error types, latencies and the comparison', async (t) => {
  const base = ['--zipkin', `${zipkin}/zipkin/`, '--since', '10m', '--service', service];
  const table = await report([...base, '--format', 'table']);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, new RegExp(`^Service ${service}, .* 81 traces from ${zipkin.replace(/[.]/g, '\\.')}$`, 'm'));
  t.regex(table.stdout, /^Baseline: stable v1$/m);
  t.regex(table.stdout, /^stable\s+v1\s+30\s+3\s+10\.0%\s+0\s+60\s+0\s+0\.0%$/m);
  t.regex(table.stdout, /^canary\s+v2\s+10\s+2\s+20\.0%\s+0\s+20\s+1\s+5\.0%$/m);
  t.regex(table.stdout, /^canary\s+v2\s+session_not_found\s+1\s+10\.0%$/m);
  t.regex(table.stdout, new RegExp(`^stable\\s+v1\\s+total \\(ms\\)\\s+27\\s+${total(S(14))}\\.0\\s+${total(S(26))}\\.0\\s+${total(S(27))}\\.0$`, 'm'));
  t.regex(table.stdout, /^canary v2 vs stable v1: value \(difference, relative difference\)$/m);
  t.regex(table.stdout, /^error rate 20\.0% vs 10\.0% \(\+10\.0 pp\)$/m);

  const md = await report([...base, '--format', 'markdown']);
  t.is(md.code, 0, md.stderr);
  const lines = md.stdout.split('\n');
  t.true(lines.includes('| stable | v1 | 30 | 3 | 10.0% | 0 | 60 | 0 | 0.0% |'), md.stdout);
  t.true(lines.includes('| canary | v2 | 10 | 2 | 20.0% | 0 | 20 | 1 | 5.0% |'));
  t.true(lines.includes('| stable | v1 | queue_full | 1 | 3.3% |'));
  const p50 = (b: number, v: number) => `${v.toFixed(1)} (${v - b > 0 ? '+' : ''}${(v - b).toFixed(1)}, ${v - b > 0 ? '+' : ''}${((v - b) / b * 100).toFixed(1)}%)`;
  // n per side beside the difference; 8 canary samples are too few to call it (issue 11, defect 6).
  t.true(lines.some((l) => l.startsWith(`| total (ms) | 8 vs 27 | ${p50(total(S(14)), total(C(4)))} |`) && l.endsWith(' | not significant (n < 20) |')), md.stdout);
});

test('no data in the window: says so and exits 0', async (t) => {
  const r = await report(['--zipkin', zipkin, '--since', '90s', '--service', `report-e2e-nothing-${hex(4)}`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^No traces of service "report-e2e-nothing-[0-9a-f]+" in Zipkin at .* between .* and .*\.$/m);
});

test('an unreachable Zipkin and a bad --since are clear errors (exit 1 and 2)', async (t) => {
  const port = await closedPort();
  const down = await report(['--zipkin', `http://127.0.0.1:${port}`, '--since', '1h']);
  t.is(down.code, 1);
  t.is(down.stdout, '');
  t.is(down.stderr, `tts-trace-proxy report: cannot reach Zipkin at http://127.0.0.1:${port}: ECONNREFUSED\n`);

  const bad = await report(['--zipkin', zipkin, '--since', '1 hour']);
  t.is(bad.code, 2);
  t.is(bad.stderr, 'tts-trace-proxy report: --since: "1 hour" is neither a duration (90s, 30m, 1h, 2d) nor an ISO 8601 time\n');
});
