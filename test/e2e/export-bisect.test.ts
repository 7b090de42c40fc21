// Issue 9, defect 3, against a real Zipkin: it refuses a whole batch (400) for one span with an
// upper-case id. With the pre-encoding check switched off so the bad span does reach Zipkin,
// bisection still gets every other span in the batch stored, and only the bad one is dropped.
import test from 'ava';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { zipkinCodec, type Codec } from '../../proxy/src/export/codecs.js';
import { ExportQueue } from '../../proxy/src/export/queue.js';
import { httpTransport } from '../../proxy/src/export/transport.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

test('one span Zipkin refuses costs only itself: the rest of its batch is stored', async (t) => {
  const mem = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bisect-test' }), spanProcessors: [new SimpleSpanProcessor(mem)] });
  const tracer = provider.getTracer('t');
  const good: string[] = [];
  for (let i = 0; i < 15; i++) {
    const s = tracer.startSpan(`good-${i}`);
    good.push(s.spanContext().traceId);
    s.end();
  }
  const upper = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'ABCDEF0123456789ABCDEF0123456789', spanId: 'ABCDEF0123456789', traceFlags: 1, isRemote: true });
  tracer.startSpan('bad', {}, upper).end();
  const spans = mem.getFinishedSpans();

  const counts = { exported: 0, dropped: {} as Record<string, number> };
  const counters = {
    exported: (n: number) => { counts.exported += n; },
    retried: () => {}, spooled: () => {}, replayed: () => {}, attempt: () => {},
    dropped: (n: number, r: string) => { counts.dropped[r] = (counts.dropped[r] ?? 0) + n; },
  };
  // The check before encoding would drop the bad span itself; without it, Zipkin has to refuse it.
  const codec: Codec = { ...zipkinCodec('bisect-test'), admits: undefined };
  const url = new URL(`${await zipkinUrl()}/api/v2/spans`);
  const whole = await httpTransport({ url, timeoutMs: 5000 }).send(codec.encode(spans), codec.contentType);
  t.like(whole, { ok: false, status: 400 }, 'Zipkin refuses the whole batch for one upper-case id');

  const q = new ExportQueue('zipkin', codec, httpTransport({ url, timeoutMs: 5000 }),
    { maxQueueSpans: 100, maxBatchSpans: 100, scheduleDelayMs: 5, retryInitialMs: 10, retryMaxMs: 100, maxAttempts: 3 }, counters);
  q.add(spans);
  const deadline = Date.now() + 20_000;
  while (counts.exported + (counts.dropped.rejected ?? 0) < spans.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(counts.dropped.rejected, 1);
  t.is(counts.exported, 15);
  for (const id of good) t.is((await getTrace(id, { settleMs: 0 })).length, 1, `trace ${id} stored`);
  await q.drain(100);
});
