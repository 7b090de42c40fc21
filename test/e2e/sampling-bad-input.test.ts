// Bad input for sampling (issue #5): floods of forced-sampling headers, huge tracestate, many
// distinct trace ids. Memory stays under the documented caps (docs/operations.md) and the
// counters say what was refused.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { burst } from '../support/load.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { byTrace, waitForSpans } from '../support/zipkin-query.js';
import { zipkinUrl } from '../support/zipkin.js';

let app: TestApp;
let proxy: RunningProxy;
const service = `bad-input-${randomBytes(3).toString('hex')}`;
// docs/operations.md: resident memory stays under 256 MB at the default caps.
const RSS_CAP_MB = 256;

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

test.before(async () => {
  app = await startTestApp();
  proxy = await startProxy({
    upstream: app.url, zipkinUrl: await zipkinUrl(),
    env: {
      OTEL_SERVICE_NAME: service, OTEL_TRACES_SAMPLER_ARG: '0', TTS_PROXY_FORCE_MAX_PER_S: '20', TTS_PROXY_TAIL_KEEP_MAX_PER_S: '20',
      TTS_PROXY_DEBUG_TOKEN: 'the-real-token', TTS_PROXY_ACCESS_LOG: 'off', OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
});
test.after.always(async () => { await proxy?.stop(); await app?.close(); });

/** Runs `fn` while sampling the proxy's RSS; returns the peak. */
async function peakRss(fn: () => Promise<unknown>): Promise<number> {
  let peak = rssMb();
  const timer = setInterval(() => { peak = Math.max(peak, rssMb()); }, 100);
  try { await fn(); } finally { clearInterval(timer); }
  return Math.max(peak, rssMb());
}

test.serial('a flood of forced-sampling headers: forcing is rate-limited, the rest refused and counted', async (t) => {
  const started = Date.now();
  let samples: Awaited<ReturnType<typeof burst>> = [];
  const peak = await peakRss(async () => {
    samples = await burst(proxy.url, 3000, 64, (i) => ({ path: '/x', headers: i % 3 === 0 ? { b3: 'd' } : i % 3 === 1 ? { 'x-b3-flags': '1' } : { 'x-debug-tracing': 'the-real-token' } }));
  });
  const seconds = (Date.now() - started) / 1000;
  t.true(samples.every((s) => s.status === 200));
  const m = await scrape(proxy.adminUrl);
  const forced = metricValue(m, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'forced' });
  const limited = metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'rate_limited' });
  t.log(`3000 forced requests in ${seconds.toFixed(1)} s: ${forced} forced, ${limited} refused; peak RSS ${peak.toFixed(0)} MB`);
  t.is(forced + limited, 3000);
  t.true(forced <= 20 * seconds + 21, `${forced} forced in ${seconds.toFixed(1)} s at 20/s`);
  t.is(samples.filter((s) => /-01$/.test(String(app.seen.get(s.traceId!)?.traceparent))).length, forced, 'the app was told "sampled" only for the forced ones');
  // At ratio 0 the client sees "sampled" only where it asked by B3 debug: a right token is not revealed.
  t.true(samples.filter((_, i) => i % 3 === 2).every((s) => s.sampled === false));
  t.true(peak < RSS_CAP_MB);
  const spans = await waitForSpans(await zipkinUrl(), service, (s) => byTrace(s).size >= forced);
  t.is(byTrace(spans).size, forced, 'Zipkin has exactly the forced traces');
});

test.serial('wrong debug tokens force nothing and are counted; past the per-client budget they are not even compared', async (t) => {
  const before = metricValue(await scrape(proxy.adminUrl), 'tts_proxy_sampling_traces_total', { reason: 'forced' });
  const started = Date.now();
  const samples = await burst(proxy.url, 1000, 32, (i) => ({ path: '/x', headers: { 'x-debug-tracing': `guess-${i}` } }));
  const minutes = (Date.now() - started) / 60_000;
  const m = await scrape(proxy.adminUrl);
  t.true(samples.every((s) => s.status === 200 && s.sampled === false));
  const bad = metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'bad_token' });
  const limited = metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'guess_limited' });
  t.is(bad + limited, 1000);
  // One client (127.0.0.1): the default budget of 10 a minute, plus what refilled meanwhile.
  t.true(bad >= 10 && bad <= 10 + Math.ceil(minutes * 10), `${bad} tokens compared`);
  t.is(metricValue(m, 'tts_proxy_sampling_traces_total', { reason: 'forced' }), before);
});

test.serial('huge tracestate: the app gets at most 512 bytes of it; the oversize header is counted', async (t) => {
  const big = Array.from({ length: 300 }, (_, i) => `v${i}=${'x'.repeat(20)}`).join(',');
  t.true(big.length > 7000);
  const samples = await burst(proxy.url, 500, 32, () => ({
    path: '/x', headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`, tracestate: big },
  }));
  t.true(samples.every((s) => s.status === 200));
  t.is(metricValue(await scrape(proxy.adminUrl), 'tts_proxy_propagation_oversize_total', { header: 'tracestate' }), 500);
  const seen = samples.map((s) => String(app.seen.get(s.traceId!)?.tracestate ?? ''));
  t.true(seen.every((ts) => ts.length <= 512), `longest tracestate sent upstream: ${Math.max(...seen.map((s) => s.length))}`);
});

test.serial('an error storm at ratio 0: the tail keeps what its budget allows, counts the rest, and exports exactly what it kept', async (t) => {
  const m0 = await scrape(proxy.adminUrl);
  const kept0 = metricValue(m0, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'error' });
  const limited0 = metricValue(m0, 'tts_proxy_sampling_traces_total', { decision: 'dropped', reason: 'rate_limited' });
  const started = Date.now();
  const samples = await burst(proxy.url, 1000, 32, () => ({ path: '/x?status=500' }));
  const seconds = (Date.now() - started) / 1000;
  t.true(samples.every((s) => s.status === 500), 'every answer passes as the app gave it');
  const m = await scrape(proxy.adminUrl);
  const kept = metricValue(m, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'error' }) - kept0;
  const limited = metricValue(m, 'tts_proxy_sampling_traces_total', { decision: 'dropped', reason: 'rate_limited' }) - limited0;
  t.log(`1000 failing requests in ${seconds.toFixed(1)} s: ${kept} kept, ${limited} rate-limited`);
  t.is(kept + limited, 1000);
  t.true(kept >= 20, `${kept} kept: one second of burst at least`);
  t.true(kept <= 20 * seconds + 21, `${kept} kept in ${seconds.toFixed(1)} s at 20/s`);
  const ids = new Set(samples.map((s) => s.traceId!));
  const ours = (spans: Awaited<ReturnType<typeof waitForSpans>>) => [...byTrace(spans.filter((s) => ids.has(s.traceId!))).keys()];
  const spans = await waitForSpans(await zipkinUrl(), service, (sp) => ours(sp).length >= kept);
  t.is(ours(spans).length, kept, 'Zipkin has the kept traces, and only those');
  for (const s of spans.filter((x) => ids.has(x.traceId!) && x.kind === 'SERVER')) t.is(s.tags?.['tts.sampling.tail_reason'], 'error');
});

test.serial('10,000 distinct trace ids: nothing stays held, memory stays under the cap', async (t) => {
  const before = metricValue(await scrape(proxy.adminUrl), 'tts_proxy_sampling_traces_total', { decision: 'dropped' });
  const peak = await peakRss(() => burst(proxy.url, 10_000, 64, () => ({
    path: '/x', headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00` },
  })));
  const m = await scrape(proxy.adminUrl);
  t.log(`peak RSS ${peak.toFixed(0)} MB`);
  t.is(metricValue(m, 'tts_proxy_sampling_traces_total', { decision: 'dropped' }) - before, 10_000);
  t.is(metricValue(m, 'tts_proxy_tail_held_traces'), 0);
  t.is(metricValue(m, 'tts_proxy_tail_held_spans'), 0);
  t.true(peak < RSS_CAP_MB);
});
