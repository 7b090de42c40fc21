// Metrics on the admin port, read by a real Prometheus (issue #5): the scrape works, exemplars
// carry trace ids that Zipkin knows, the exposition passes promtool's lint, and the example alert
// rules pass `promtool test rules`.
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { burst } from '../support/load.js';
import { repoRoot, runScript } from '../support/proc.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';
import { metricValue, scrape } from '../support/metrics.js';
import { raw } from '../support/http.js';
import { startUpstream } from '../support/upstream.js';

let app: TestApp;
let proxy: RunningProxy | undefined;
let prom: RunningPrometheus | undefined;
test.before(async () => { app = await startTestApp(); });
test.after.always(async () => { await prom?.stop(); await proxy?.stop(); await app?.close(); });

async function promtool(args: string[], input?: string): Promise<{ code: number; out: string }> {
  const bin = join((await runScript('setup-prometheus.sh')).replace(/\/prometheus$/, ''), 'promtool');
  return new Promise((resolve) => {
    const child = execFile(bin, args, { cwd: join(repoRoot, 'alerts') }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

test('promtool test rules: the example alerts fire when they should, and only then', async (t) => {
  const r = await promtool(['test', 'rules', 'tts-trace-proxy.test.yml']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /SUCCESS/);
  const check = await promtool(['check', 'rules', 'tts-trace-proxy.rules.yml']);
  t.is(check.code, 0, check.out);
});

test('Prometheus scrapes the proxy; an exemplar carries a trace id that Zipkin knows', async (t) => {
  t.timeout(120_000);
  // Ratio 0: only error traces are kept, so an exemplar naming a dropped trace would be caught.
  proxy = await startProxy({
    upstream: app.url, zipkinUrl: await zipkinUrl(),
    env: { OTEL_SERVICE_NAME: 'metrics-e2e', OTEL_TRACES_SAMPLER_ARG: '0', TTS_PROXY_ACCESS_LOG: 'off' },
  });
  const admin = new URL(proxy.adminUrl).host;
  prom = await startPrometheus([admin]);
  await burst(proxy.url, 200, 8, (i) => ({ path: i % 10 === 0 ? '/x?status=500' : '/x' }));

  // The lint Prometheus' own tooling applies to an exposition (classic text, what curl gets).
  const lint = await promtool(['check', 'metrics'], await (await fetch(`${proxy.adminUrl}/metrics`)).text());
  t.is(lint.code, 0, lint.out);

  const deadline = Date.now() + 30_000;
  let count = 0;
  let exemplars: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[] = [];
  while (Date.now() < deadline) {
    const v = await prom.api<{ result: { value: [number, string] }[] }>('query', { query: 'sum(http_server_request_duration_seconds_count{job="tts-trace-proxy"})' });
    count = Number(v.result[0]?.value[1] ?? 0);
    exemplars = await prom.api('query_exemplars', {
      query: 'http_server_request_duration_seconds_bucket', start: String(Date.now() / 1000 - 300), end: String(Date.now() / 1000 + 60),
    });
    if (count >= 200 && exemplars.length > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const targets = await prom.api<{ activeTargets: { health: string; scrapeUrl: string }[] }>('targets');
  t.is(targets.activeTargets[0]?.health, 'up', JSON.stringify(targets.activeTargets));
  t.is(count, 200, 'Prometheus counted every request');
  const ids = [...new Set(exemplars.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)))];
  t.log(`${ids.length} distinct exemplar trace ids across ${exemplars.length} series`);
  t.true(ids.length > 0, 'exemplars were ingested');
  for (const id of ids) {
    t.regex(id!, /^[0-9a-f]{32}$/);
    const spans = await getTrace(id!, { minSpans: 2, timeoutMs: 15_000 });
    t.true(spans.some((s) => s.kind === 'SERVER' && s.tags?.['otel.status_code'] === 'ERROR'), `trace ${id} is in Zipkin, with its failed SERVER span`);
  }
  t.true(exemplars.every((s) => s.seriesLabels.error_type !== ''), 'only kept (here: failed) requests carry exemplars');
});

test('in-flight requests and open streams are gauged while they last', async (t) => {
  const up = await startUpstream();
  const p = await startProxy({ upstream: up.url, env: { TTS_PROXY_ACCESS_LOG: 'off' } });
  try {
    let first!: () => void;
    const gotFirst = new Promise<void>((r) => { first = r; });
    const stream = raw(`${p.url}/sse/gated`, { onChunk: () => first() });
    await gotFirst;
    const open = await scrape(p.adminUrl);
    t.is(metricValue(open, 'tts_proxy_active_streams', { kind: 'sse' }), 1);
    t.is(metricValue(open, 'http_server_active_requests'), 1);
    up.releaseGate();
    t.regex((await stream).body.toString(), /process_completed/);
    await new Promise((r) => setTimeout(r, 100));
    const closed = await scrape(p.adminUrl);
    t.is(metricValue(closed, 'tts_proxy_active_streams', { kind: 'sse' }), 0);
    t.is(metricValue(closed, 'http_server_active_requests'), 0);
  } finally {
    await p.stop();
    await up.close();
  }
});
