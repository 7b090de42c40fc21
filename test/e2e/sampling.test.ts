// Sampling against a real Zipkin (issue #5): head ratio, tail keep of errors and slow requests,
// forced traces, the debug token, and the admin override.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { burst, once, type Sample } from '../support/load.js';
import { headerOf, rawExchange } from '../support/raw-socket.js';
import * as A from '../../proxy/src/spans/attributes.js';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ratioKeeps } from '../../proxy/src/sampling/head.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { byTrace, waitForSpans } from '../support/zipkin-query.js';
import { zipkinUrl } from '../support/zipkin.js';

let app: TestApp;
test.before(async () => { app = await startTestApp(); });
test.after.always(async () => { await app?.close(); });

const service = (what: string) => `sampling-${what}-${randomBytes(3).toString('hex')}`;

async function proxyWith(name: string, env: Record<string, string>): Promise<RunningProxy> {
  return startProxy({
    upstream: app.url, zipkinUrl: await zipkinUrl(),
    env: { OTEL_SERVICE_NAME: name, TTS_PROXY_ACCESS_LOG: 'off', OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
  });
}

test('ratio 0.1 over 2,000 requests: ~10% of normal traces, 100% of error, slow and forced ones', async (t) => {
  const name = service('ratio');
  const proxy = await proxyWith(name, {
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1',
    TTS_PROXY_TAIL_SLOW_MS: '500', TTS_PROXY_DEBUG_TOKEN: 'let-me-in', TTS_PROXY_FORCE_MAX_PER_S: '1000',
  });
  try {
    const kinds = [
      ...Array<string>(2000).fill('normal'), ...Array<string>(60).fill('error'), ...Array<string>(30).fill('slow'),
      ...Array<string>(30).fill('b3multi'), ...Array<string>(30).fill('b3single'), ...Array<string>(30).fill('token'),
    ].sort(() => Math.random() - 0.5);
    const started = Date.now();
    const samples = await burst(proxy.url, kinds.length, 32, (i) => {
      switch (kinds[i]) {
        case 'error': return { path: '/x?status=500' };
        case 'slow': return { path: '/x?delay=700' };
        case 'b3multi': return { path: '/x', headers: { 'x-b3-flags': '1' } };
        case 'b3single': return { path: '/x', headers: { b3: 'd' } };
        case 'token': return { path: '/x', headers: { 'x-debug-tracing': 'let-me-in' } };
        default: return { path: '/x' };
      }
    });
    t.log(`${kinds.length} requests in ${Date.now() - started} ms`);
    // The burst once ended three times faster than usual with a request failed (beside stress-ng):
    // if the proxy had died, this says so, with its last words.
    t.true(proxy.child.exitCode === null && proxy.child.signalCode === null,
      `the proxy ended during the burst (${proxy.child.exitCode ?? proxy.child.signalCode}): ${proxy.stderr().slice(-2000)}`);
    // A failure names the requests, with what they got (status, error, headers), not just "false".
    t.deepEqual(samples.map((s, i) => ({ ...s, kind: kinds[i] })).filter((s) => !s.traceId || (s.status !== 200 && s.status !== 500)), []);
    const of = (k: string) => samples.filter((_, i) => kinds[i] === k);
    const mustKeep = ['error', 'slow', 'b3multi', 'b3single', 'token'].flatMap(of).map((s) => s.traceId!);
    const headSampledNormal = of('normal').filter((s) => s.sampled).map((s) => s.traceId!);
    const spans = await waitForSpans(await zipkinUrl(), name, (sp) => {
      const m = byTrace(sp);
      return mustKeep.every((id) => m.get(id) === 2) && headSampledNormal.every((id) => m.get(id) === 2);
    });
    const traces = byTrace(spans);
    const serverOf = (id: string) => spans.find((s) => s.traceId === id && s.kind === 'SERVER');
    const tag = (id: string, key: string) => serverOf(id)?.tags?.[key];
    const keptNormal = of('normal').filter((s) => traces.has(s.traceId!)).length;
    t.log(`normal traces kept: ${keptNormal} / 2000 (head-sampled: ${headSampledNormal.length})`);
    // The ratio decides the head-sampled share; how many more the tail keeps as slow depends on
    // how loaded the machine is (nine beside stress-ng in one CI run), so each of those is checked
    // for being slow at the proxy instead of their number being bounded.
    t.true(headSampledNormal.length >= 140 && headSampledNormal.length <= 260, `${headSampledNormal.length} normal traces head-sampled, expected 200 ± 60`);
    // The kept normal traces are the head-sampled ones (the flag the app saw), plus any that the
    // loaded machine made slower than the threshold, which say so.
    const extra = of('normal').filter((s) => traces.has(s.traceId!) && !s.sampled);
    t.is(keptNormal, headSampledNormal.length + extra.length);
    for (const s of extra) {
      t.is(tag(s.traceId!, 'tts.sampling.tail_reason'), 'slow', `unsampled normal trace ${s.traceId} kept`);
      const server = serverOf(s.traceId!);
      t.true((server?.duration ?? 0) >= 500_000, `unsampled normal trace ${s.traceId} kept as slow, but its SERVER span took ${server?.duration} µs`);
    }
    t.true(headSampledNormal.every((id) => traces.get(id) === 2));
    for (const k of ['error', 'slow', 'b3multi', 'b3single', 'token']) {
      const kept = of(k).filter((s) => traces.get(s.traceId!) === 2).length;
      t.is(kept, of(k).length, `${k}: ${kept} of ${of(k).length} traces kept whole`);
    }
    // Tail-kept traces say why, and that the app was told "not sampled"; forced ones were sampled upstream.
    for (const s of of('error').filter((x) => !x.sampled)) t.is(tag(s.traceId!, 'tts.sampling.tail_reason'), 'error');
    for (const s of of('slow').filter((x) => !x.sampled)) t.is(tag(s.traceId!, 'tts.sampling.tail_reason'), 'slow');
    for (const s of [...of('b3multi'), ...of('b3single')]) t.is(tag(s.traceId!, 'tts.sampling.forced'), 'b3_debug');
    for (const s of of('token')) {
      t.is(tag(s.traceId!, 'tts.sampling.forced'), 'token');
      // traceresponse does not tell the client that its token worked (issue 9, defect 8).
      t.is(s.sampled, ratioKeeps(s.traceId!, 0.1));
      t.regex(String(app.seen.get(s.traceId!)?.traceparent), /-01$/, 'the app was told to sample a forced trace');
    }
    const metrics = await scrape(proxy.adminUrl);
    t.is(metricValue(metrics, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'forced' }), 90);
    t.is(metricValue(metrics, 'tts_proxy_sampling_traces_total', { decision: 'dropped' }) + keptNormal, 2000);
    const kept = (reason: string) => metricValue(metrics, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason });
    const unforced = [...of('normal'), ...of('error'), ...of('slow')];
    t.is(kept('head'), unforced.filter((s) => s.sampled).length);
    t.is(kept('error'), of('error').filter((s) => !s.sampled).length);
    t.is(kept('slow'), of('slow').filter((s) => !s.sampled).length + extra.length);
    t.is(metricValue(metrics, 'tts_proxy_export_dropped_spans_total'), 0);
  } finally {
    await proxy.stop();
  }
});

test('X-Debug-Tracing forces nothing without a configured token, or with a wrong one', async (t) => {
  const zipkin = await zipkinUrl();
  const noToken = service('notoken');
  const withToken = service('token');
  const common = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
  const a = await proxyWith(noToken, common);
  // A guess budget above the 20 wrong tokens, so the right one at the end still counts.
  const b = await proxyWith(withToken, { ...common, TTS_PROXY_DEBUG_TOKEN: 'correct horse', TTS_PROXY_DEBUG_TOKEN_GUESSES_PER_MIN: '100' });
  try {
    const tries = ['anything', 'correct horse', '', 'correct horse battery'];
    const fromA: Sample[] = [];
    const fromB: Sample[] = [];
    for (let i = 0; i < 20; i++) {
      fromA.push(await once(`${a.url}/x`, { 'x-debug-tracing': tries[i % tries.length]! }));
      fromB.push(await once(`${b.url}/x`, { 'x-debug-tracing': `wrong-${i}` }));
    }
    // Markers that are kept for sure; once they are in Zipkin, anything exported before them is too.
    const markerA = await once(`${a.url}/x`, { 'x-b3-flags': '1' });
    const markerB = await once(`${b.url}/x`, { 'x-debug-tracing': 'correct horse' });
    const spansA = await waitForSpans(zipkin, noToken, (s) => byTrace(s).get(markerA.traceId!) === 2);
    const spansB = await waitForSpans(zipkin, withToken, (s) => byTrace(s).get(markerB.traceId!) === 2);
    t.is(byTrace(spansB).get(markerB.traceId!), 2, 'the right token does force');
    t.deepEqual([...byTrace(spansA).keys()], [markerA.traceId], 'no token configured: nothing forced');
    t.deepEqual([...byTrace(spansB).keys()], [markerB.traceId], 'wrong token: nothing forced');
    t.true([...fromA, ...fromB].every((s) => s.sampled === false));
    t.true([...fromA, ...fromB].every((s) => /-00$/.test(String(app.seen.get(s.traceId!)?.traceparent))), 'the app was told "not sampled"');
    t.is(metricValue(await scrape(a.adminUrl), 'tts_proxy_sampling_force_refused_total', { reason: 'no_token_configured' }), 20);
    t.is(metricValue(await scrape(b.adminUrl), 'tts_proxy_sampling_force_refused_total', { reason: 'bad_token' }), 20);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('admin: raise the ratio for a while; it reverts by itself', async (t) => {
  const name = service('admin');
  const p = await proxyWith(name, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', TTS_PROXY_ADMIN_TOKEN: 'admin-token' });
  try {
    const before = await once(`${p.url}/x`);
    const set = await fetch(`${p.adminUrl}/admin/sampling`, {
      method: 'POST', body: JSON.stringify({ ratio: 1, duration_s: 2 }), headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
    });
    t.is(set.status, 200);
    t.true(metricValue(await scrape(p.adminUrl), 'tts_proxy_sampling_ratio', { source: 'effective' }) === 1);
    const during = await Promise.all(Array.from({ length: 10 }, () => once(`${p.url}/x`)));
    await new Promise((r) => setTimeout(r, 2300));
    // The user port forwards /admin/* to the app like any path: the admin API is on the admin port only.
    await fetch(`${p.url}/admin/sampling`, { method: 'POST', body: '{"ratio":1,"duration_s":60}', headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' } });
    const after = await Promise.all(Array.from({ length: 10 }, () => once(`${p.url}/x`)));
    t.is(before.sampled, false);
    t.true(during.every((s) => s.sampled));
    t.true(after.every((s) => s.sampled === false), 'reverted by itself');
    const marker = await once(`${p.url}/x`, { 'x-b3-flags': '1' });
    const traces = byTrace(await waitForSpans(await zipkinUrl(), name, (s) => byTrace(s).has(marker.traceId!)));
    t.deepEqual([...traces.keys()].sort(), [...during.map((s) => s.traceId!), marker.traceId!].sort());
  } finally {
    await p.stop();
  }
});

// An unsampled request's span attributes are built only if the tail keeps its trace, long after
// the request arrived (issue 10): by then http-proxy has appended to the X-Forwarded-* fields and
// a repeated User-Agent has been restored as a list. A kept trace must say what a head-sampled
// one says about the same request.
test('a trace the tail keeps says what a head-sampled one says about the same request', async (t) => {
  const names = { kept: service('later-kept'), sampled: service('later-sampled') };
  const kept = await proxyWith(names.kept, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
  const sampled = await proxyWith(names.sampled, { OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
  try {
    const request = [
      'GET /x/later?status=500 HTTP/1.1', 'Host: app.example:8443', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: front.example:9443, inner',
      'User-Agent: first-agent/1.0', 'User-Agent: second-agent/2.0', 'X-Request-Id: req-later-1', 'traceparent: not-a-traceparent',
      'Connection: close', '', '',
    ].join('\r\n');
    const ids: Record<string, string> = {};
    for (const [which, proxy] of [['kept', kept], ['sampled', sampled]] as const) {
      const r = await rawExchange(proxy.port, request);
      t.deepEqual(r.statuses, [500], which);
      ids[which] = headerOf(r.text, 'x-trace-id')!;
      t.regex(ids[which]!, /^[0-9a-f]{32}$/, which);
    }
    const spansOfTrace = async (which: 'kept' | 'sampled') => (await waitForSpans(await zipkinUrl(), names[which], (s) => byTrace(s).get(ids[which]!) === 2)).filter((s) => s.traceId === ids[which]);
    const [a, b] = [await spansOfTrace('kept'), await spansOfTrace('sampled')];
    // Times differ from one request to the next, each proxy has its own service name, and the
    // tail's reason is the kept trace's alone.
    const tags = (spans: typeof a, kind: string) => {
      const rest: Record<string, string> = { ...spans.find((s) => s.kind === kind)!.tags };
      delete rest[A.ATTR_PROXY_TIME_TO_FIRST_BYTE_MS];
      delete rest[ATTR_SERVICE_NAME];
      delete rest[A.ATTR_TTS_SAMPLING_TAIL_REASON];
      return rest;
    };
    for (const kind of ['SERVER', 'CLIENT']) t.deepEqual(tags(a, kind), tags(b, kind), kind);
    t.is(a.find((s) => s.kind === 'SERVER')!.tags?.[A.ATTR_TTS_SAMPLING_TAIL_REASON], 'error');
    // What the request said as it arrived, not what forwarding made of it.
    const server = tags(a, 'SERVER');
    t.is(server[A.ATTR_URL_SCHEME], 'https');
    t.is(server[A.ATTR_SERVER_ADDRESS], 'front.example');
    t.is(server[A.ATTR_SERVER_PORT], '9443');
    t.is(server[A.ATTR_USER_AGENT_ORIGINAL], 'first-agent/1.0');
    t.is(server[A.ATTR_HTTP_REQUEST_ID], 'req-later-1');
    t.truthy(server[A.ATTR_PROXY_INVALID_PROPAGATION]);
  } finally {
    await kept.stop();
    await sampled.stop();
  }
});
