// Ending a request (finish.ts) with a real SDK tracer and an in-memory exporter: span statuses
// by the semantic conventions, nginx's 499, gauges released exactly once.
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { BatchedLines } from '../../proxy/src/access-log.js';
import { CLIENT_CLOSED_REQUEST, closeRequest, finishRequest } from '../../proxy/src/finish.js';
import { buildMetrics } from '../../proxy/src/metrics.js';
import { newState, type RequestState } from '../../proxy/src/request-state.js';
import * as A from '../../proxy/src/spans/attributes.js';

function setup() {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('finish-test');
  const metrics = buildMetrics();
  const lines: string[] = [];
  // The real batching sink, with a buffer that leaves at every line.
  const accessLog = new BatchedLines(new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }), 60_000, 1);
  const state = (): RequestState => {
    const s = newState('/gradio_api/queue/join', '/gradio_api/queue/join', 'POST', ROOT_CONTEXT);
    s.serverSpan = tracer.startSpan('POST /gradio_api/queue/join', { kind: SpanKind.SERVER });
    s.clientSpan = tracer.startSpan('POST /gradio_api/queue/join', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, s.serverSpan));
    metrics.activeRequests.inc({ http_request_method: s.method });
    return s;
  };
  const spans = (kind: SpanKind): ReadableSpan[] => mem.getFinishedSpans().filter((sp) => sp.kind === kind);
  const active = async () => (await metrics.activeRequests.get()).values.reduce((n, v) => n + v.value, 0);
  return { metrics, lines, accessLog, state, spans, active, deps: { metrics, accessLog } };
}

test('a 5xx answer: SERVER and CLIENT are errors with error.type = the status; the access log has one line', async (t) => {
  const x = setup();
  const s = x.state();
  s.upstreamStatus = 503;
  finishRequest(s, 503, x.deps);
  const [server] = x.spans(SpanKind.SERVER);
  const [client] = x.spans(SpanKind.CLIENT);
  t.is(server!.status.code, SpanStatusCode.ERROR);
  t.is(server!.attributes[A.ATTR_ERROR_TYPE], '503');
  t.is(server!.attributes[A.ATTR_HTTP_RESPONSE_STATUS_CODE], 503);
  t.is(client!.status.code, SpanStatusCode.ERROR);
  t.is(client!.attributes[A.ATTR_ERROR_TYPE], '503');
  t.is(x.lines.length, 1);
  t.is(JSON.parse(x.lines[0]!).status, 503);
});

test('a 4xx answer is the client\'s: an error on the CLIENT span only', (t) => {
  const x = setup();
  const s = x.state();
  s.upstreamStatus = 422;
  finishRequest(s, 422, x.deps);
  t.not(x.spans(SpanKind.SERVER)[0]!.status.code, SpanStatusCode.ERROR);
  t.is(x.spans(SpanKind.CLIENT)[0]!.status.code, SpanStatusCode.ERROR);
});

test('a client that left before any answer: 499 in the log, no status code on the span, not an error', (t) => {
  const x = setup();
  const s = x.state();
  s.clientAborted = true;
  finishRequest(s, CLIENT_CLOSED_REQUEST, x.deps);
  const server = x.spans(SpanKind.SERVER)[0]!;
  t.is(server.attributes[A.ATTR_HTTP_RESPONSE_STATUS_CODE], undefined);
  t.is(server.attributes[A.ATTR_PROXY_CLIENT_ABORTED], true);
  t.not(server.status.code, SpanStatusCode.ERROR);
  const line = JSON.parse(x.lines[0]!);
  t.is(line.status, 499);
  t.is(line.client_aborted, true);
});

test('close releases the in-flight gauge once; finish after it does not release it again, and ends the spans once', async (t) => {
  const x = setup();
  const a = x.state();
  const b = x.state();
  t.is(await x.active(), 2);
  closeRequest(a, x.metrics);
  closeRequest(a, x.metrics);
  t.is(await x.active(), 1, 'closed once');
  t.is(x.spans(SpanKind.SERVER).length, 0, 'the spans still wait');
  finishRequest(a, 200, x.deps);
  finishRequest(a, 200, x.deps);
  t.is(await x.active(), 1, 'finish after close releases nothing more');
  t.is(x.spans(SpanKind.SERVER).length, 1);
  finishRequest(b, 200, x.deps);
  t.is(await x.active(), 0, 'finish alone closes too');
  t.is(x.lines.length, 2);
});
