import test from 'ava';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
// The stock exporter's own transform, as the oracle: traces must look the same as before.
import { toZipkinSpan } from '@opentelemetry/exporter-zipkin/build/src/transform.js';
import { contentTypeOfExt, otlpCodec, zipkinCodec } from '../../../proxy/src/export/codecs.js';
import { OpenBatch } from '../../../proxy/src/export/open-batch.js';

function spans() {
  const mem = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc', 'deployment.environment': 'test' }), spanProcessors: [new SimpleSpanProcessor(mem)] });
  const tracer = provider.getTracer('t');
  const a = tracer.startSpan('GET /x', { kind: SpanKind.SERVER, attributes: { 'http.route': '/x', 'http.response.status_code': 502, list: ['a', 'b'] } });
  a.addEvent('gradio.first_chunk');
  a.addEvent('gradio.log', { 'gradio.log.level': 'warning' });
  a.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream_unavailable' });
  a.end();
  // Keys the transform writes again after the attributes (status, resource) take the later value.
  const c = tracer.startSpan('odd "name" \u2028 é', { kind: SpanKind.CLIENT, attributes: { 'deployment.environment': 'from-attr', error: 'attr', 'otel.status_code': 'attr', quote: 'a"b\\c\n', n: 1.5, yes: true, no: false, zero: 0, big: 2 ** 60, neg: -3, negZero: -0, nan: Number.NaN, inf: -Infinity, count: 1234567 } });
  c.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  c.end();
  const b = tracer.startSpan('gradio.predict /tts');
  b.setStatus({ code: SpanStatusCode.OK });
  b.end();
  return mem.getFinishedSpans();
}

test('Zipkin JSON equals what the stock exporter sends', (t) => {
  const s = spans();
  const ours = JSON.parse(Buffer.from(zipkinCodec('fallback').encode(s)).toString());
  // Except that ours are integral microseconds and a duration of at least 1, as Zipkin requires.
  const stock = JSON.parse(JSON.stringify(s.map((x) => {
    const z = toZipkinSpan(x, 'svc', 'otel.status_code', 'error');
    return { ...z, timestamp: Math.round(z.timestamp!), duration: Math.max(1, Math.round(z.duration!)) };
  })));
  for (const z of ours) t.true(Number.isInteger(z.timestamp) && Number.isInteger(z.duration) && z.duration >= 1);
  // Except, too, that an event's attributes are kept: `name|{json}|dropped`, as the Collector writes them.
  t.deepEqual(ours[0].annotations.map((a: { value: string }) => a.value), ['gradio.first_chunk', 'gradio.log|{"gradio.log.level":"warning"}|0']);
  stock[0].annotations[1].value = 'gradio.log|{"gradio.log.level":"warning"}|0';
  t.deepEqual(ours, stock);
  t.is(ours[0].tags.error, 'upstream_unavailable');
  t.is(ours[0].kind, 'SERVER');
});

test('OTLP encodings carry the trace ids; spool extensions map back to content types', (t) => {
  const s = spans();
  const json = JSON.parse(Buffer.from(otlpCodec('http/json').encode(s)).toString());
  const otlpSpans = json.resourceSpans[0].scopeSpans[0].spans;
  t.is(otlpSpans[0].traceId, s[0]!.spanContext().traceId, 'OTLP/JSON ids are hex');
  const pb = otlpCodec('http/protobuf');
  t.is(pb.contentType, 'application/x-protobuf');
  const bytes = Buffer.from(pb.encode(s));
  t.true(bytes.includes(Buffer.from(s[0]!.spanContext().traceId, 'hex')), 'protobuf carries the 16 id bytes');
  t.is(contentTypeOfExt(pb.ext), 'application/x-protobuf');
  t.is(contentTypeOfExt(zipkinCodec('x').ext), 'application/json');
  t.is(contentTypeOfExt('nope'), undefined);
});

test('Zipkin spans written one by one into a batch equal the batch encoding, byte for byte', (t) => {
  const s = spans();
  const codec = zipkinCodec('fallback');
  const batch = new OpenBatch(codec.pieces!);
  for (const subset of [[], s.slice(0, 1), s]) {
    for (const x of subset) batch.add(x);
    t.deepEqual(Buffer.from(batch.close()), Buffer.from(codec.encode(subset)));
  }
  // Multi-byte characters: each span is UTF-8 already, so the batch is not encoded twice.
  for (const x of s) batch.add(x);
  t.true(Buffer.from(batch.close()).toString('utf8').includes('é'));
});
