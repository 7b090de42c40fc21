import test from 'ava';
import { aggregate, nearestRank, summarize, NONE, type ArmStats, type ZipkinSpan } from '../../../proxy/src/report/aggregate.js';
import { prediction, request } from '../../support/report-spans.js';

const service = 'tts-trace-proxy';
const T0 = Date.UTC(2026, 0, 1);
const arm = (arms: ArmStats[], name: string, version?: string) => {
  const a = arms.find((x) => x.arm === name && (version === undefined || x.version === version));
  if (!a) throw new Error(`no arm ${name} ${version ?? ''}`);
  return a;
};

test('nearest-rank percentiles: the sample at rank ceil(p/100 * n)', (t) => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  t.is(nearestRank(ten, 50), 5);
  t.is(nearestRank(ten, 95), 10);
  t.is(nearestRank(ten, 99), 10);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(nearestRank(hundred, 50), 50);
  t.is(nearestRank(hundred, 95), 95);
  t.is(nearestRank(hundred, 99), 99);
  t.is(nearestRank([7], 50), 7);
  t.is(nearestRank([7], 99), 7);
  t.is(nearestRank([], 50), null);
  t.deepEqual(summarize([30, 10, 20]), { n: 3, p50: 20, p95: 30, p99: 30 }, 'unsorted input is sorted first');
  t.deepEqual(summarize([]), { n: 0, p50: null, p95: null, p99: null });
});

test('per arm and version: predictions, HTTP requests, error rate by error.type, and stage latencies from children and tags', (t) => {
  const traces: ZipkinSpan[][] = [];
  // stable v1: 10 predictions, i = 1..10; 8 complete, one app_error, one queue_full.
  for (let i = 1; i <= 10; i++) {
    traces.push(prediction({
      service, arm: 'stable', version: 'v1', replica: `stable-${i % 2}`, startMs: T0 + i * 1000,
      queueMs: i, processMs: 100 + i, ttfcMs: 50 + i, rtf: (200 + i) / 1000,
      errorType: i === 9 ? 'app_error' : i === 10 ? 'queue_full' : undefined,
    }));
  }
  // canary v2: 4 predictions, one cancelled by the client (no error, not a latency sample).
  for (let j = 1; j <= 4; j++) {
    traces.push(prediction({
      service, arm: 'canary', version: 'v2', replica: 'canary-0', startMs: T0 + j * 1000,
      queueMs: 10 * j, processMs: 200 + j, ttfcMs: 70 + j, rtf: (300 + j) / 1000, endReason: j === 4 ? 'cancelled' : undefined,
      httpErrorType: j === 1 ? 'upstream_unavailable' : undefined,
    }));
    traces.push(request({ service, arm: 'canary', version: 'v2', startMs: T0 + j * 1000 + 5 }));
  }
  const r = aggregate(traces, { service });

  t.deepEqual(r.arms.map((a) => `${a.arm} ${a.version}`), ['stable v1', 'canary v2'], 'the baseline first');
  t.is(r.traces, 18);
  const s = arm(r.arms, 'stable');
  t.is(s.predictions, 10);
  t.is(s.http_requests, 10);
  t.is(s.errors, 2);
  t.is(s.error_rate, 0.2);
  t.deepEqual(s.errors_by_type, { app_error: { count: 1, rate: 0.1 }, queue_full: { count: 1, rate: 0.1 } });
  t.deepEqual(s.replicas, { 'stable-0': 5, 'stable-1': 5 });
  // Completed: i = 1..8 → p50 rank 4, p95 and p99 rank 8.
  t.deepEqual(s.latency.queue_wait_ms, { n: 8, p50: 4, p95: 8, p99: 8 });
  t.deepEqual(s.latency.processing_ms, { n: 8, p50: 104, p95: 108, p99: 108 });
  t.deepEqual(s.latency.time_to_first_chunk_ms, { n: 8, p50: 54, p95: 58, p99: 58 });
  t.deepEqual(s.latency.total_ms, { n: 8, p50: 4 + 104 + 5, p95: 8 + 108 + 5, p99: 8 + 108 + 5 });
  t.deepEqual(s.latency.realtime_factor, { n: 8, p50: 0.204, p95: 0.208, p99: 0.208 });

  const c = arm(r.arms, 'canary');
  t.is(c.predictions, 4);
  t.is(c.http_requests, 8, 'queue/join + queue/data per prediction');
  t.is(c.http_errors, 1);
  t.is(c.http_error_rate, 1 / 8);
  t.is(c.errors, 0);
  t.is(c.error_rate, 0);
  t.is(c.cancelled, 1);
  t.deepEqual(c.latency.queue_wait_ms, { n: 3, p50: 20, p95: 30, p99: 30 });
  t.deepEqual(c.latency.total_ms, { n: 3, p50: 20 + 202 + 5, p95: 30 + 203 + 5, p99: 30 + 203 + 5 });
});

test('arm-to-arm differences: absolute and relative per percentile, error-rate difference', (t) => {
  const traces = [
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, queueMs: 10, processMs: 100, ttfcMs: 0, rtf: 0.5 }),
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, errorType: 'app_error' }),
    prediction({ service, arm: 'canary', version: 'v2', startMs: T0, queueMs: 15, processMs: 80, ttfcMs: 12, rtf: 0.25 }),
  ];
  const r = aggregate(traces, { service });
  t.deepEqual(r.baseline, { arm: 'stable', version: 'v1' });
  t.is(r.comparisons.length, 1);
  const c = r.comparisons[0]!;
  t.is(c.arm, 'canary');
  t.is(c.error_rate_diff, -0.5);
  t.deepEqual(c.latency.queue_wait_ms.p50, { baseline: 10, value: 15, abs: 5, rel: 0.5 });
  t.deepEqual(c.latency.processing_ms.p99, { baseline: 100, value: 80, abs: -20, rel: -0.2 });
  t.deepEqual(c.latency.total_ms.p95, { baseline: 115, value: 100, abs: -15, rel: -15 / 115 });
  t.deepEqual(c.latency.time_to_first_chunk_ms.p50, { baseline: 0, value: 12, abs: 12, rel: null }, 'no relative change from 0');
  t.deepEqual(c.latency.realtime_factor.p50, { baseline: 0.5, value: 0.25, abs: -0.25, rel: -0.5 });
});

test('baseline: `stable` when present, else the first arm by name, or the one asked for; spans without an arm are listed last and not compared', (t) => {
  const noStable = [
    prediction({ service, arm: 'green', version: 'v3', startMs: T0, processMs: 1 }),
    prediction({ service, arm: 'blue', version: 'v2', startMs: T0, processMs: 1 }),
    request({ service, startMs: T0, name: 'get /config' }),
  ];
  const r = aggregate(noStable, { service });
  t.deepEqual(r.arms.map((a) => a.arm), ['blue', 'green', NONE]);
  t.deepEqual(r.baseline, { arm: 'blue', version: 'v2' });
  t.deepEqual(r.comparisons.map((c) => c.arm), ['green']);
  t.is(arm(r.arms, NONE).http_requests, 1);
  t.is(arm(r.arms, NONE).predictions, 0);
  t.is(arm(r.arms, NONE).error_rate, null);

  const asked = aggregate(noStable, { service, baseline: 'green' });
  t.deepEqual(asked.arms.map((a) => a.arm), ['green', 'blue', NONE]);
  t.deepEqual(asked.comparisons.map((c) => `${c.arm} vs ${c.baseline.arm}`), ['blue vs green']);
});

test('one arm with two versions gives two groups; the baseline is its version with the most predictions', (t) => {
  const r = aggregate([
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, processMs: 1 }),
    prediction({ service, arm: 'stable', version: 'v2', startMs: T0, processMs: 1 }),
    prediction({ service, arm: 'stable', version: 'v2', startMs: T0, processMs: 1 }),
  ], { service });
  t.deepEqual(r.arms.map((a) => `${a.arm} ${a.version} ${a.predictions}`), ['stable v1 1', 'stable v2 2']);
  t.deepEqual(r.baseline, { arm: 'stable', version: 'v2' });
  t.deepEqual(r.comparisons.map((c) => c.version), ['v1']);
});

test('only the service asked for (any case); the same span read twice counts once; flat span lists work too', (t) => {
  const mine = prediction({ service: 'Proxy-A', arm: 'stable', version: 'v1', startMs: T0, processMs: 10 });
  // The worker's span in the same trace, with a name that would otherwise match.
  const worker: ZipkinSpan = { ...mine[1]!, id: 'ffffffffffffffff', parentId: mine[1]!.id, localEndpoint: { serviceName: 'upstream-tts' } };
  const other = prediction({ service: 'proxy-b', arm: 'stable', version: 'v1', startMs: T0, processMs: 10 });
  const r = aggregate([[...mine, worker], mine, other], { service: 'proxy-a' });
  t.is(r.arms.length, 1);
  t.is(r.arms[0]!.predictions, 1);
  t.is(r.arms[0]!.http_requests, 1);
  t.is(r.traces, 1);
  t.deepEqual(aggregate([...mine, ...mine], { service: 'PROXY-A' }).arms[0]!.predictions, 1);
});

test('missing pieces: no queue child (direct transport), unparsable tags, no spans at all', (t) => {
  const r = aggregate([
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, processMs: 40, ttfcMs: 9 }),
    prediction({ service, arm: 'stable', version: 'v1', startMs: T0, processMs: 60 }).map((s) =>
      s.tags?.['gradio.api_name'] ? { ...s, tags: { ...s.tags, 'tts.realtime_factor': 'NaN', 'tts.time_to_first_chunk_ms': '' } } : s),
  ], { service });
  const s = r.arms[0]!;
  t.is(s.latency.queue_wait_ms.n, 0);
  t.is(s.latency.queue_wait_ms.p50, null);
  t.deepEqual(s.latency.processing_ms, { n: 2, p50: 40, p95: 60, p99: 60 });
  t.is(s.latency.time_to_first_chunk_ms.n, 1);
  t.is(s.latency.realtime_factor.n, 0);
  t.deepEqual(aggregate([], { service }), { service, traces: 0, arms: [], baseline: null, comparisons: [], min_samples: 20 });
});
