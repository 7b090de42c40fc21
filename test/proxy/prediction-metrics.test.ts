import test from 'ava';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { buildMetrics } from '../../proxy/src/metrics.js';
import { PredictionMetrics } from '../../proxy/src/prediction-metrics.js';
import * as A from '../../proxy/src/spans/attributes.js';

test('prediction spans become histograms, with an exemplar only for kept traces', async (t) => {
  const metrics = buildMetrics();
  const keep = new Set<string>();
  const provider = new BasicTracerProvider({ spanProcessors: [new PredictionMetrics(metrics, (id) => keep.has(id))] });
  const tracer = provider.getTracer('t');
  const t0 = Date.now();
  const predict = (api: string, opts: { error?: boolean; keep?: boolean }) => {
    const p = tracer.startSpan(`${A.SPAN_GRADIO_PREDICT} ${api}`, { startTime: t0, attributes: { [A.ATTR_GRADIO_API_NAME]: api, [A.ATTR_AUDIO_INPUT_DURATION_S]: 12.4 } });
    if (opts.keep) keep.add(p.spanContext().traceId);
    const ctx = trace.setSpan(ROOT_CONTEXT, p);
    tracer.startSpan(A.SPAN_GRADIO_QUEUE, { startTime: t0 }, ctx).end(t0 + 1500);
    tracer.startSpan(A.SPAN_GRADIO_PROCESS, { startTime: t0 + 1500 }, ctx).end(t0 + 7500);
    p.setAttributes({ [A.ATTR_TTS_TIME_TO_FIRST_CHUNK_MS]: 2000, [A.ATTR_TTS_REALTIME_FACTOR]: 0.3, [A.ATTR_GRADIO_END_REASON]: opts.error ? 'failed' : 'completed' });
    if (opts.error) { p.setAttribute(A.ATTR_ERROR_TYPE, 'app_error'); p.setStatus({ code: SpanStatusCode.ERROR }); }
    p.end(t0 + 7500);
    return p.spanContext().traceId;
  };
  const kept = predict('/tts', { keep: true });
  predict('/tts', { error: true });
  const text = await metrics.registry.metrics();
  t.regex(text, /tts_prediction_duration_seconds_count\{gradio_api_name="\/tts",tts_upstream_arm="default",outcome="completed",error_type=""\} 1/);
  t.regex(text, /tts_prediction_duration_seconds_count\{gradio_api_name="\/tts",tts_upstream_arm="default",outcome="failed",error_type="app_error"\} 1/);
  t.regex(text, /tts_queue_wait_seconds_bucket\{le="2",gradio_api_name="\/tts",tts_upstream_arm="default"\} 2/);
  t.regex(text, /tts_processing_duration_seconds_bucket\{le="5",gradio_api_name="\/tts",tts_upstream_arm="default",outcome="completed"\} 0/);
  t.regex(text, /tts_processing_duration_seconds_bucket\{le="10",gradio_api_name="\/tts",tts_upstream_arm="default",outcome="completed"\} 1/);
  t.regex(text, /tts_time_to_first_chunk_seconds_sum\{gradio_api_name="\/tts",tts_upstream_arm="default"\} 4/);
  t.regex(text, /tts_input_audio_duration_seconds_count\{gradio_api_name="\/tts",tts_upstream_arm="default"\} 2/);
  t.regex(text, /tts_realtime_factor_count/);
  const exemplars = [...text.matchAll(/trace_id="([0-9a-f]{32})"/g)].map((m) => m[1]);
  t.true(exemplars.length > 0);
  t.true(exemplars.every((e) => e === kept), 'only the kept trace is named');
});

test('api names from URLs cannot blow up label cardinality', async (t) => {
  const metrics = buildMetrics();
  const provider = new BasicTracerProvider({ spanProcessors: [new PredictionMetrics(metrics, () => false)] });
  const tracer = provider.getTracer('t');
  for (let i = 0; i < 300; i++) tracer.startSpan(`${A.SPAN_GRADIO_PREDICT} /x${i}`, { attributes: { [A.ATTR_GRADIO_API_NAME]: `/x${i}` } }).end();
  const text = await metrics.registry.metrics();
  const names = new Set([...text.matchAll(/tts_prediction_duration_seconds_count\{gradio_api_name="([^"]*)"/g)].map((m) => m[1]));
  t.is(names.size, 101);
  t.true(names.has('other'));
});

test('children that end interleaved with other predictions\' are each counted with their own prediction', async (t) => {
  const metrics = buildMetrics();
  const provider = new BasicTracerProvider({ spanProcessors: [new PredictionMetrics(metrics, () => false)] });
  const tracer = provider.getTracer('t');
  const t0 = Date.now();
  const start = (api: string) => {
    const p = tracer.startSpan(`${A.SPAN_GRADIO_PREDICT} ${api}`, { startTime: t0, attributes: { [A.ATTR_GRADIO_API_NAME]: api, [A.ATTR_GRADIO_END_REASON]: 'completed' } });
    return { p, ctx: trace.setSpan(ROOT_CONTEXT, p) };
  };
  // Queue waits of 1 s (/a), 3 s (/b) and 6 s (/c); /a's processing 20 s. The children end in an
  // order no prediction's own end follows: every one must still find its prediction.
  const a = start('/a');
  const b = start('/b');
  const c = start('/c');
  tracer.startSpan(A.SPAN_GRADIO_QUEUE, { startTime: t0 }, a.ctx).end(t0 + 1000);
  tracer.startSpan(A.SPAN_GRADIO_QUEUE, { startTime: t0 }, b.ctx).end(t0 + 3000);
  const aProcess = tracer.startSpan(A.SPAN_GRADIO_PROCESS, { startTime: t0 + 1000 }, a.ctx);
  tracer.startSpan(A.SPAN_GRADIO_QUEUE, { startTime: t0 }, c.ctx).end(t0 + 6000);
  b.p.end(t0 + 4000);
  aProcess.end(t0 + 21_000);
  c.p.end(t0 + 7000);
  a.p.end(t0 + 21_000);
  const text = await metrics.registry.metrics();
  t.regex(text, /tts_queue_wait_seconds_sum\{gradio_api_name="\/a",tts_upstream_arm="default"\} 1\n/);
  t.regex(text, /tts_queue_wait_seconds_sum\{gradio_api_name="\/b",tts_upstream_arm="default"\} 3\n/);
  t.regex(text, /tts_queue_wait_seconds_sum\{gradio_api_name="\/c",tts_upstream_arm="default"\} 6\n/);
  t.regex(text, /tts_processing_duration_seconds_sum\{gradio_api_name="\/a",tts_upstream_arm="default",outcome="completed"\} 20\n/);
  t.notRegex(text, /tts_processing_duration_seconds_sum\{gradio_api_name="\/[bc]"/);
  // A prediction that ends with no child ended leaves no wait behind for the next one.
  const d = start('/d');
  d.p.end(t0 + 500);
  t.notRegex(await metrics.registry.metrics(), /tts_queue_wait_seconds_sum\{gradio_api_name="\/d"/);
});
