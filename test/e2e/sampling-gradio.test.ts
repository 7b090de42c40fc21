// Tail keep and prediction metrics on a real Gradio 6 (issue #5). With head sampling at 0, a
// prediction that fails is still kept whole, though its failure arrives on another request (the
// session's queue/data stream); successful ones are not. The prediction histograms fill from the
// prediction spans, and Prometheus' exemplar for the failure leads to that trace in Zipkin.
import { Client } from '@gradio/client';
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';
import { byTrace, waitForSpans } from '../support/zipkin-query.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));
const SERVICE = `sampling-gradio-${Math.random().toString(36).slice(2, 7)}`;

let app: RunningGradioApp;
let proxy: RunningProxy;
let prom: RunningPrometheus | undefined;
test.before(async () => {
  app = await startGradioApp(ECHO_APP);
  proxy = await startProxy({
    upstream: app.url, zipkinUrl: await zipkinUrl(),
    env: { OTEL_SERVICE_NAME: SERVICE, OTEL_TRACES_SAMPLER_ARG: '0', OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
});
test.after.always(async () => {
  await prom?.stop();
  await proxy?.stop();
  await app?.stop();
});

test('ratio 0: a failed prediction is kept whole, successful ones are not; prediction metrics and exemplars', async (t) => {
  t.timeout(150_000);
  prom = await startPrometheus([new URL(proxy.adminUrl).host]);
  const client = await Client.connect(proxy.url);
  for (let i = 0; i < 3; i++) await client.predict('/echo', { text: `hello ${i}` });
  await client.predict('/slow_count', { text: 'count' });
  await t.throwsAsync(() => client.predict('/fail', { text: 'boom' }));
  client.close?.();
  await new Promise((r) => setTimeout(r, 500));

  const joins = accessLog(proxy).filter((l) => l.route === '/gradio_api/queue/join').map((l) => String(l.trace_id));
  t.is(joins.length, 5);
  // The failing one is the last join; it is kept with its predict/queue/process spans.
  const failed = joins[4]!;
  const spans = await getTrace(failed, { minSpans: 5, timeoutMs: 20_000 });
  const predict = spans.find((s) => s.name?.startsWith('gradio.predict'))!;
  t.is(predict.tags?.['error.type'], 'app_error');
  t.is(spans.find((s) => s.kind === 'SERVER')?.tags?.['tts.sampling.tail_reason'], 'error');
  // A marker that is kept for sure; once it is in, the successful predictions would be too.
  const marker = await fetch(`${proxy.url}/gradio_api/info`, { headers: { 'x-b3-flags': '1' } });
  const markerId = marker.headers.get('x-trace-id')!;
  const all = byTrace(await waitForSpans(await zipkinUrl(), SERVICE, (s) => byTrace(s).has(markerId)));
  t.deepEqual(joins.filter((id) => all.has(id)), [failed], 'only the failed prediction was kept among the joins');

  const m = await scrape(proxy.adminUrl);
  t.is(metricValue(m, 'tts_prediction_duration_seconds_count', { gradio_api_name: '/echo', outcome: 'completed' }), 3);
  t.is(metricValue(m, 'tts_prediction_duration_seconds_count', { gradio_api_name: '/fail', outcome: 'failed', error_type: 'app_error' }), 1);
  t.is(metricValue(m, 'tts_queue_wait_seconds_count'), 5);
  t.is(metricValue(m, 'tts_processing_duration_seconds_count'), 5);
  t.is(metricValue(m, 'tts_time_to_first_chunk_seconds_count', { gradio_api_name: '/slow_count' }), 1);
  t.true(metricValue(m, 'tts_processing_duration_seconds_sum', { gradio_api_name: '/slow_count' }) >= 0.8, 'three yields 0.3 s apart');

  let ids: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && ids.length === 0) {
    const ex = await prom.api<{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]>('query_exemplars', {
      query: 'tts_prediction_duration_seconds_bucket', start: String(Date.now() / 1000 - 300), end: String(Date.now() / 1000 + 60),
    });
    ids = [...new Set(ex.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id!)))];
    if (!ids.length) await new Promise((r) => setTimeout(r, 500));
  }
  t.deepEqual(ids, [failed], 'the only prediction exemplar is the kept (failed) trace, which Zipkin has');
});
