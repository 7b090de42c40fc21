// OTLP/HTTP export against a real receiver, Jaeger v2 (issue #5, then issue 12, which replaced
// Arize Phoenix and its 1 GB download: Jaeger covers what Phoenix did, and JSON too). The same
// spans go to Zipkin at the same time, so both export paths are checked on the same traces and
// counted alike. test/e2e/jaeger.test.ts compares the trees span by span.
import test from 'ava';
import { startJaeger, type RunningJaeger } from '../support/jaeger.js';
import { burst } from '../support/load.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

let app: TestApp;
let jaeger: RunningJaeger;
const proxies: RunningProxy[] = [];
test.before(async () => {
  [app, jaeger] = await Promise.all([startTestApp(), startJaeger()]);
});
test.after.always(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await jaeger?.stop();
  await app?.close();
});

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('OTLP/HTTP protobuf and Zipkin at once: the same traces arrive in both, parent links and error status intact, counted alike', async (t) => {
  t.timeout(120_000);
  const proxy = await startProxy({
    upstream: app.url, zipkinUrl: await zipkinUrl(),
    env: { OTEL_SERVICE_NAME: 'otlp-e2e', OTEL_TRACES_EXPORTER: 'zipkin,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl, TTS_PROXY_ACCESS_LOG: 'off' },
  });
  proxies.push(proxy);
  const samples = await burst(proxy.url, 30, 4, (i) => ({ path: i % 5 === 0 ? '/tts?status=500' : '/tts' }));
  let failed = 0;
  for (const s of samples) {
    const spans = await jaeger.trace(s.traceId!, 2);
    const server = spans.find((x) => x.references.length === 0)!;
    const client = spans.find((x) => x !== server)!;
    t.is(client.references[0]?.spanID, server.spanID);
    t.is(server.tags.find((x) => x.key === 'http.route')?.value, '/*');
    if (server.tags.some((x) => x.key === 'otel.status_code' && x.value === 'ERROR')) failed++;
    const z = await getTrace(s.traceId!, { minSpans: 2, settleMs: 0 });
    t.deepEqual(z.map((x) => x.id).sort(), spans.map((x) => x.spanID).sort(), 'Zipkin has the very same spans');
  }
  t.is(failed, 6, 'error status survives OTLP');
  const m = await waitFor('both exporters to count every span', () => scrape(proxy.adminUrl),
    (x) => metricValue(x, 'tts_proxy_export_exported_spans_total', { exporter: 'otlp' }) === 60 && metricValue(x, 'tts_proxy_export_exported_spans_total', { exporter: 'zipkin' }) === 60);
  t.is(metricValue(m, 'tts_proxy_export_dropped_spans_total'), 0);
});

test('OTLP to a path the receiver does not serve (Jaeger takes traces only, not /v1/logs): 404, counted as rejected, not retried, requests unharmed', async (t) => {
  t.timeout(120_000);
  const proxy = await startProxy({
    upstream: app.url,
    env: {
      OTEL_SERVICE_NAME: 'otlp-refused-e2e', OTEL_TRACES_EXPORTER: 'otlp',
      // Used as is (no /v1/traces appended): a misconfigured endpoint, which Jaeger answers with 404.
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${jaeger.otlpUrl}/v1/logs`, TTS_PROXY_ACCESS_LOG: 'off',
    },
  });
  proxies.push(proxy);
  const samples = await burst(proxy.url, 10, 2, () => ({ path: '/tts' }));
  t.true(samples.every((s) => s.status === 200));
  const m = await waitFor('the rejection to be counted', () => scrape(proxy.adminUrl), (x) => metricValue(x, 'tts_proxy_export_dropped_spans_total', { reason: 'rejected' }) === 20);
  t.is(metricValue(m, 'tts_proxy_export_retried_spans_total'), 0);
  t.is(metricValue(m, 'tts_proxy_exporter_up', { exporter: 'otlp' }), 0);
});
