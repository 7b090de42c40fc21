// The tracing backend failing must never be felt by a user (issue #5). Seven proxies run side by
// side on one timeline, each under its own steady load against 127.0.0.1:
//   baseline -> cut (everything so far delivered and checked) -> 60 s fault -> recovery -> drain
// Faults: this file's own Zipkin stopped (spool on / off / full), and the shared Zipkin behind a
// front answering 500, or accepting connections and never answering (spool on / off each).
// An eighth proxy exports to a healthy Zipkin throughout: the control for the same windows.
// Checked per proxy: no failed request, p99 during the fault within 10% of before (and of the
// control's p99 in the same window, so that a noisy baseline cannot hide a slowdown), and either
// >= 99% of the fault's spans in Zipkin afterwards (spool) and, either way, the spans missing from
// Zipkin between the dropped counter less its unconfirmed part and the dropped counter.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { machineDrift } from '../support/drift.js';
import { percentile, steadyLoad, type Sample } from '../support/load.js';
import { metricValue, scrape } from '../support/metrics.js';
import { quietPort } from '../support/ports.js';
import { repoRoot } from '../support/proc.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { byTrace, spansOf } from '../support/zipkin-query.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

const run = promisify(execFile);
const RPS = 20;
const WARMUP_MS = 5_000;
const BASELINE_MS = 25_000;
const FAULT_MS = 60_000;
// The app's own service time: latency is what a user of a TTS app sees, not a bare echo.
const APP_DELAY_MS = 20;

type Fault = 'stopped' | 'error500' | 'hang' | 'none';
interface Scenario {
  readonly fault: Fault;
  readonly spool: 'on' | 'off' | 'full';
  readonly service: string;
  readonly zipkin: () => string;
  proxy?: RunningProxy;
  warm: number;
  before: Sample[];
  during: Sample[];
  after: Sample[];
}

interface Outcome {
  readonly s: Scenario;
  readonly failed: number;
  readonly p99Before: number;
  readonly p99During: number;
  /** The control proxy's p99 in the same fault window. */
  p99Control: number;
  /** How much the machine slowed from before to during, not the fault's doing: the control's p99 during over every proxy's before (drift.ts). */
  controlDrift: number;
  /** Spans of the fault window's requests found in Zipkin / produced. */
  readonly foundDuring: number;
  readonly producedDuring: number;
  /** Since the cut: produced, found, dropped (counter), of which maybe delivered (counter). */
  readonly produced: number;
  readonly found: number;
  readonly dropped: number;
  readonly unconfirmed: number;
  readonly metrics: string;
}

let app: TestApp;
const proxies: RunningProxy[] = [];
let ownZipkinPort = 0;
let ownZipkin = '';
const fronts: Partial<Record<'error500' | 'hang', FaultProxy>> = {};

const script = (name: string, env: Record<string, string> = {}) =>
  run('bash', [join(repoRoot, 'scripts', name)], { env: { ...process.env, ...env }, timeout: 180_000 });

/**
 * Waits for `cond`, as long as `progress` keeps moving: a busy machine (stress-ng beside the
 * suite) makes a drain slow, not stuck, and a fixed deadline failed such runs ("Rejected promise
 * returned by test", issue 12). Only `stallMs` without any progress fails.
 */
async function poll(what: string, cond: () => Promise<boolean>, progress: () => Promise<number>, stallMs: number): Promise<void> {
  let last = await progress().catch(() => NaN);
  let movedAt = Date.now();
  while (!(await cond().catch(() => false))) {
    const now = await progress().catch(() => NaN);
    if (now !== last && !Number.isNaN(now)) { last = now; movedAt = Date.now(); }
    if (Date.now() - movedAt > stallMs) throw new Error(`no progress for ${stallMs} ms waiting for ${what} (progress ${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The export and process figures of a scenario's proxy, and its last log lines. */
async function stallReport(s: Scenario): Promise<string> {
  const front = Object.entries(fronts).map(([k, f]) => `${k} front: ${f.mode} ${JSON.stringify(f.counts)}`).join('; ');
  const m = await scrape(s.proxy!.adminUrl).catch((e: Error) => `(metrics unreadable: ${e.message})`);
  const lines = m.split('\n').filter((l) => /^(tts_proxy_export_|tts_proxy_observation_failures|process_cpu_seconds_total|http_server_active_requests)/.test(l));
  return [`requests: warm ${s.warm}, before ${s.before.length} (${s.before.filter(ok).length} ok)`, front, ...lines, 'stderr:', s.proxy!.stderr().slice(-4000)].join('\n');
}

const ok = (x: Sample) => x.status === 200 && !x.error;
const spools: string[] = [];
const spoolDir = () => { const d = mkdtempSync(join(tmpdir(), 'tts-spool-')); spools.push(d); return d; };

async function timeline(): Promise<Outcome[]> {
  app = await startTestApp();
  // Bound again after a minute's outage: from below the ephemeral range, or another test's
  // listen(0) can be handed the number meanwhile.
  ownZipkinPort = await quietPort();
  const shared = await zipkinUrl();
  const [started] = await Promise.all([
    script('start-zipkin.sh', { ZIPKIN_PORT: String(ownZipkinPort) }),
    (async () => { fronts.error500 = await startFaultProxy(shared); fronts.hang = await startFaultProxy(shared); })(),
  ]);
  ownZipkin = started.stdout.trim();
  const tag = Math.random().toString(36).slice(2, 7);
  const scenarios: Scenario[] = [
    { fault: 'stopped', spool: 'on', service: `outage-stop-spool-${tag}`, zipkin: () => ownZipkin, warm: 0, before: [], during: [], after: [] },
    { fault: 'stopped', spool: 'off', service: `outage-stop-nospool-${tag}`, zipkin: () => ownZipkin, warm: 0, before: [], during: [], after: [] },
    { fault: 'stopped', spool: 'full', service: `outage-stop-spoolfull-${tag}`, zipkin: () => ownZipkin, warm: 0, before: [], during: [], after: [] },
    { fault: 'error500', spool: 'on', service: `outage-500-spool-${tag}`, zipkin: () => shared, warm: 0, before: [], during: [], after: [] },
    { fault: 'error500', spool: 'off', service: `outage-500-nospool-${tag}`, zipkin: () => shared, warm: 0, before: [], during: [], after: [] },
    { fault: 'hang', spool: 'on', service: `outage-hang-spool-${tag}`, zipkin: () => shared, warm: 0, before: [], during: [], after: [] },
    { fault: 'hang', spool: 'off', service: `outage-hang-nospool-${tag}`, zipkin: () => shared, warm: 0, before: [], during: [], after: [] },
    { fault: 'none', spool: 'off', service: `outage-control-${tag}`, zipkin: () => shared, warm: 0, before: [], during: [], after: [] },
  ];
  await Promise.all(scenarios.map(async (s) => {
    const endpoint = s.fault === 'stopped' ? ownZipkin : s.fault === 'none' ? shared : fronts[s.fault]!.url;
    s.proxy = await startProxy({
      upstream: app.url, zipkinUrl: endpoint,
      env: {
        OTEL_SERVICE_NAME: s.service, TTS_PROXY_ACCESS_LOG: 'off',
        OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100', OTEL_BSP_MAX_QUEUE_SIZE: '400',
        OTEL_BSP_EXPORT_TIMEOUT: '2000', TTS_PROXY_EXPORT_RETRY_INITIAL_MS: '500', TTS_PROXY_EXPORT_RETRY_MAX_MS: '4000',
        ...(s.spool === 'off' ? {} : { TTS_PROXY_SPOOL_DIR: spoolDir() }),
        // About four 100-span batches: far less than a minute of spans.
        ...(s.spool === 'full' ? { TTS_PROXY_SPOOL_MAX_BYTES: '300000' } : {}),
      },
    });
    proxies.push(s.proxy);
  }));
  const url = (s: Scenario) => `${s.proxy!.url}/tts?delay=${APP_DELAY_MS}`;
  const loadAll = (ms: number) => scenarios.map((s) => steadyLoad(url(s), RPS, ms));

  // Warm-up (JIT, connection pools), not measured.
  const warm = await Promise.all(loadAll(WARMUP_MS).map(async (l) => { await new Promise((r) => setTimeout(r, WARMUP_MS)); return l.stop(); }));
  scenarios.forEach((s, i) => { s.warm = warm[i]!.length; });
  // Baseline.
  let loads = loadAll(BASELINE_MS + 10_000);
  await new Promise((r) => setTimeout(r, BASELINE_MS));
  const befores = await Promise.all(loads.map((l) => l.stop()));
  scenarios.forEach((s, i) => { s.before = befores[i]!; });
  // The cut: everything so far is in Zipkin and nothing was dropped, so that what follows is
  // accounted for exactly (a restarted in-memory Zipkin forgets what it had).
  await Promise.all(scenarios.map((s) => poll(`${s.service} to drain before the fault`, async () => {
    const m = await scrape(s.proxy!.adminUrl);
    return metricValue(m, 'tts_proxy_export_queue_spans') === 0 && metricValue(m, 'tts_proxy_export_exported_spans_total') === 2 * (s.warm + s.before.length);
  }, async () => metricValue(await scrape(s.proxy!.adminUrl), 'tts_proxy_export_exported_spans_total'), 20_000).catch(async (err: Error) => {
    // A stall here once came with nothing to read (CI, beside stress-ng): say what the proxy saw.
    throw new Error(`${err.message}\n${await stallReport(s)}`);
  })));
  const cutCheck = await Promise.all(scenarios.map(async (s) => {
    const traces = byTrace(await spansOf(s.zipkin(), s.service));
    return s.before.every((x) => traces.get(x.traceId!) === 2) && metricValue(await scrape(s.proxy!.adminUrl), 'tts_proxy_export_dropped_spans_total') === 0;
  }));
  if (!cutCheck.every(Boolean)) throw new Error(`baseline spans not all in Zipkin: ${JSON.stringify(cutCheck)}`);

  // The fault.
  await script('stop-zipkin.sh', { ZIPKIN_PORT: String(ownZipkinPort) });
  fronts.error500!.mode = 'error500';
  fronts.hang!.mode = 'hang';
  loads = loadAll(FAULT_MS + 120_000);
  await new Promise((r) => setTimeout(r, FAULT_MS));
  const faultEnd = Date.now();
  // Recovery, under the same load.
  fronts.error500!.mode = 'pass';
  fronts.hang!.mode = 'pass';
  await script('start-zipkin.sh', { ZIPKIN_PORT: String(ownZipkinPort) });
  await new Promise((r) => setTimeout(r, 5_000));
  const rest = await Promise.all(loads.map((l) => l.stop()));
  scenarios.forEach((s, i) => {
    s.during = rest[i]!.filter((x) => x.startedAt < faultEnd);
    s.after = rest[i]!.filter((x) => x.startedAt >= faultEnd);
  });

  // Drain: every span since the cut is exported or dropped, memory queue and spool empty.
  await Promise.all(scenarios.map((s) => poll(`${s.service} to drain after recovery`, async () => {
    const m = await scrape(s.proxy!.adminUrl);
    const settled = metricValue(m, 'tts_proxy_export_exported_spans_total') + metricValue(m, 'tts_proxy_export_dropped_spans_total');
    return metricValue(m, 'tts_proxy_export_queue_spans') === 0 && metricValue(m, 'tts_proxy_export_spool_spans') === 0
      && settled === 2 * (s.warm + s.before.length + s.during.length + s.after.length);
  }, async () => {
    const m = await scrape(s.proxy!.adminUrl);
    // Spans leaving the spool or the queue, exported or dropped: any of these moving is progress.
    return metricValue(m, 'tts_proxy_export_exported_spans_total') + metricValue(m, 'tts_proxy_export_dropped_spans_total')
      + metricValue(m, 'tts_proxy_export_replayed_spans_total') - metricValue(m, 'tts_proxy_export_spool_spans');
  }, 60_000)));
  // Zipkin indexes asynchronously: let the last batches land.
  await new Promise((r) => setTimeout(r, 1500));
  const outcomes = await Promise.all(scenarios.map(async (s): Promise<Outcome> => {
    const traces = byTrace(await spansOf(s.zipkin(), s.service));
    const metrics = await scrape(s.proxy!.adminUrl);
    const since = [...s.during, ...s.after];
    const count = (xs: Sample[]) => xs.reduce((n, x) => n + (traces.get(x.traceId!) ?? 0), 0);
    return {
      s, metrics,
      failed: [...s.before, ...since].filter((x) => !ok(x)).length,
      p99Before: percentile(s.before.map((x) => x.latencyMs), 99),
      p99During: percentile(s.during.map((x) => x.latencyMs), 99), p99Control: NaN, controlDrift: 1,
      foundDuring: count(s.during), producedDuring: 2 * s.during.length,
      found: count(since), produced: 2 * since.length,
      dropped: metricValue(metrics, 'tts_proxy_export_dropped_spans_total'),
      unconfirmed: metricValue(metrics, 'tts_proxy_export_dropped_unconfirmed_spans_total'),
    };
  }));
  const control = outcomes.find((o) => o.s.fault === 'none')!;
  // Before the fault all eight proxies were healthy under the same load: their p99s together are
  // the machine's baseline (drift.ts says why not the control's alone).
  const drift = machineDrift(control.p99During, outcomes.map((o) => o.p99Before));
  for (const o of outcomes) {
    o.p99Control = control.p99During;
    o.controlDrift = drift;
  }
  return outcomes;
}

let outcome: Promise<Outcome[]> | undefined;
const results = () => (outcome ??= timeline());

test.after.always(async () => {
  await Promise.all(proxies.map((p) => p.stop('SIGKILL')));
  await Promise.all([fronts.error500?.close(), fronts.hang?.close(), app?.close()]);
  if (ownZipkinPort) await script('stop-zipkin.sh', { ZIPKIN_PORT: String(ownZipkinPort) }).catch(() => undefined);
  for (const d of spools) rmSync(d, { recursive: true, force: true });
});

function check(t: import('ava').ExecutionContext, o: Outcome): void {
  const { s } = o;
  t.log(`${s.fault}/spool ${s.spool}: ${s.before.length} + ${s.during.length} + ${s.after.length} requests, ${o.failed} failed; ` +
    `p99 before ${o.p99Before.toFixed(1)} ms, during ${o.p99During.toFixed(1)} ms (${((o.p99During / o.p99Before - 1) * 100).toFixed(1)}%; control ${o.p99Control.toFixed(1)} ms); ` +
    `fault-window spans in Zipkin ${o.foundDuring}/${o.producedDuring}; since the cut produced ${o.produced}, found ${o.found}, dropped ${o.dropped} (unconfirmed ${o.unconfirmed}) ` +
    `(retried ${metricValue(o.metrics, 'tts_proxy_export_retried_spans_total')}, spooled ${metricValue(o.metrics, 'tts_proxy_export_spooled_spans_total')}, replayed ${metricValue(o.metrics, 'tts_proxy_export_replayed_spans_total')})`);
  t.is(o.failed, 0, 'no user request failed');
  t.true(s.during.length >= RPS * FAULT_MS / 1000 * 0.95, 'the load really was steady');
  // 10%, plus 5 ms of scheduling noise: eight proxies and their load share two cores here. A
  // machine that got busier meanwhile (other jobs, stress-ng) slows the healthy control too, so
  // the bound grows by as much as the machine slowed: the control's p99 during the fault against
  // every proxy's before it (drift.ts).
  t.true(o.p99During <= o.p99Before * 1.1 * o.controlDrift + 5,
    `p99 during the fault ${o.p99During.toFixed(1)} ms vs before ${o.p99Before.toFixed(1)} ms (control drift ×${o.controlDrift.toFixed(2)})`);
  // Eight proxies and their load share 2 cores here, so per-process p99 also differs by
  // scheduling luck: 10% plus 25 ms of it is noise; an exporter that blocked requests would cost
  // the export timeout (seconds) or the retry backoff, far beyond that.
  t.true(o.p99During <= o.p99Control * 1.1 + 25, `p99 during the fault ${o.p99During.toFixed(1)} ms vs the healthy control's ${o.p99Control.toFixed(1)} ms`);
  t.true(metricValue(o.metrics, 'tts_proxy_export_retried_spans_total') > 0, 'exports were retried');
  // Whatever the spool setting: the counter is honest, spans missing from Zipkin are the dropped
  // ones, less at most those whose batch went out whole and got no answer (Zipkin may have stored
  // one and answered after the timeout: a cold JVM just restarted, beside stress-ng, did).
  const missing = o.produced - o.found;
  t.true(missing <= o.dropped && missing >= o.dropped - o.unconfirmed,
    `spans missing from Zipkin (${missing}) between dropped less unconfirmed (${o.dropped - o.unconfirmed}) and dropped (${o.dropped})`);
  if (s.spool === 'on') {
    t.true(o.foundDuring >= 0.99 * o.producedDuring, `${o.foundDuring} of ${o.producedDuring} fault-window spans in Zipkin`);
    t.true(metricValue(o.metrics, 'tts_proxy_export_replayed_spans_total') > 0, 'the spool was used and replayed');
  } else {
    t.true(o.dropped > 0, 'the memory bound was really hit');
  }
}

for (const fault of ['error500', 'hang', 'stopped'] as const) {
  const title = {
    stopped: 'Zipkin stopped for 60 s under steady load',
    error500: 'Zipkin answering 500 for 60 s under steady load',
    hang: 'Zipkin accepting connections but never answering for 60 s under steady load',
  }[fault];
  test(`${title}: no failed request, p99 within 10%, spool delivers >= 99%, the dropped counter accounts for what is missing`, async (t) => {
    t.timeout(280_000);
    for (const o of (await results()).filter((x) => x.s.fault === fault)) check(t, o);
  });
}

test('SIGTERM with a backend that never answers: exit within the deadline; the spool keeps the spans and the next start delivers them', async (t) => {
  t.timeout(120_000);
  const shared = await zipkinUrl();
  const front = await startFaultProxy(shared);
  front.mode = 'hang';
  const dir = spoolDir();
  const service = `sigterm-spool-${Math.random().toString(36).slice(2, 7)}`;
  const app2 = await startTestApp();
  const env = { OTEL_SERVICE_NAME: service, TTS_PROXY_ACCESS_LOG: 'off', TTS_PROXY_SPOOL_DIR: dir, OTEL_BSP_EXPORT_TIMEOUT: '1500' };
  try {
    // A long schedule delay: nothing leaves before shutdown.
    const first = await startProxy({ upstream: app2.url, zipkinUrl: front.url, env: { ...env, OTEL_BSP_SCHEDULE_DELAY: '600000', TTS_PROXY_SHUTDOWN_TIMEOUT_MS: '3000' } });
    const samples = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${first.url}/x?i=${i}`).then((r) => r.headers.get('x-trace-id')!)));
    const started = Date.now();
    t.is(await first.stop('SIGTERM'), 0);
    const took = Date.now() - started;
    t.true(took < 3000 + 1500, `exited after ${took} ms`);
    t.true(front.counts.hang >= 1, 'the flush did try the backend');

    const second = await startProxy({ upstream: app2.url, zipkinUrl: shared, env });
    proxies.push(second);
    for (const id of samples) await getTrace(id, { minSpans: 2, timeoutMs: 20_000, settleMs: 0 });
    t.is(metricValue(await scrape(second.adminUrl), 'tts_proxy_export_replayed_spans_total'), 40);
  } finally {
    await front.close();
    await app2.close();
  }
});
