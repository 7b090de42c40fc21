// The ordered stages (pipeline.ts) on a fake request, with a real SDK tracer: what each stage
// leaves in the state, and that a failing stage stops the ones after it without throwing.
import test from 'ava';
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { makeExtractor } from '../../common/propagation/extract.js';
import { makeClientAddress } from '../../proxy/src/client-address.js';
import { loadConfig } from '../../proxy/src/config/load.js';
import { buildMetrics } from '../../proxy/src/metrics.js';
import { runPipeline, STAGES, type PipelineDeps } from '../../proxy/src/pipeline.js';

const INBOUND_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INBOUND_SPAN = '00f067aa0ba902b7';

function setup(trusted = '') {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('pipeline-test');
  const config = loadConfig({}, {});
  const extract = makeExtractor(config.propagators);
  const deps: PipelineDeps = {
    config, tracer, metrics: buildMetrics(), clientAddress: makeClientAddress(trusted ? [trusted] : []),
    canary: { arms: config.arms, header: config.canaryHeader, cookie: config.canaryCookie, cookieMaxAgeS: config.canaryCookieMaxAgeS },
    extract: (headers) => extract(headers),
  };
  return { deps, mem };
}

const request = (url: string, headers: IncomingHttpHeaders): IncomingMessage =>
  ({ method: 'POST', url, headers: { host: 'app.test', ...headers }, httpVersion: '1.1', socket: { remoteAddress: '10.0.0.7', remotePort: 50000 } }) as unknown as IncomingMessage;

test('the stages run in their documented order', (t) => {
  t.deepEqual(STAGES.map((s) => s.name), ['client', 'extract', 'route', 'server-span', 'client-span', 'inject']);
});

test('an inbound traceparent: SERVER is its child, CLIENT the SERVER\'s, and the app is told the CLIENT span', (t) => {
  const { deps } = setup();
  const req = request('/gradio_api/queue/join?x=1', { traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01`, b3: 'garbage' });
  const errors: string[] = [];
  const s = runPipeline(req, false, deps, (stage) => errors.push(stage));
  t.deepEqual(errors, []);
  t.is(s.route, '/gradio_api/queue/join');
  t.is(s.method, 'POST');
  t.is(s.clientAddress, '10.0.0.7');
  t.is(s.parentFormat, 'tracecontext');
  const server = s.serverSpan!.spanContext();
  const client = s.clientSpan!.spanContext();
  t.is(server.traceId, INBOUND_TRACE);
  t.is(client.traceId, INBOUND_TRACE);
  t.is((s.serverSpan as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId, INBOUND_SPAN);
  t.is((s.clientSpan as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId, server.spanId);
  t.is(s.upstreamHeaders!.traceparent, `00-${INBOUND_TRACE}-${client.spanId}-01`);
  // The client's own propagation fields are replaced, not forwarded beside ours.
  t.is(req.headers.traceparent, undefined);
  t.is(req.headers.b3, undefined);
  t.is(s.upstream!.href, 'http://127.0.0.1:7860/');
});

test('no inbound context: a new root trace, and kinds as the conventions say', (t) => {
  const { deps, mem } = setup();
  const s = runPipeline(request('/x', {}), false, deps, () => undefined);
  t.is(s.parentFormat, undefined);
  t.is(trace.getSpanContext(s.parentContext), undefined);
  s.clientSpan!.end();
  s.serverSpan!.end();
  t.deepEqual(mem.getFinishedSpans().map((sp) => [sp.name, sp.kind]), [['POST /*', SpanKind.CLIENT], ['POST /*', SpanKind.SERVER]]);
});

test('a stage that throws is reported by name and the later stages do not run; the request still has a state', (t) => {
  const { deps } = setup();
  const broken: PipelineDeps = { ...deps, extract: () => { throw new Error('boom'); } };
  const errors: string[] = [];
  const s = runPipeline(request('/x', {}), false, broken, (stage) => errors.push(stage));
  t.deepEqual(errors, ['extract']);
  t.is(s.clientAddress, '10.0.0.7', 'the stage before it ran');
  t.is(s.serverSpan, undefined, 'the stages after it did not');
  t.is(s.upstreamHeaders, undefined);
});
