// The per-request lifecycle (lifecycle.ts) with fake req/res/sockets and a real SDK tracer writing
// to memory: each event of an exchange, in the orders the wire can produce them.
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { RequestLifecycle } from '../../proxy/src/lifecycle.js';
import { buildMetrics } from '../../proxy/src/metrics.js';
import { MAX_FINDING_EVENTS, type Observer } from '../../proxy/src/observer.js';
import { newState } from '../../proxy/src/request-state.js';
import * as A from '../../proxy/src/spans/attributes.js';
import { assertSpan } from '../support/assert-span.js';

class FakeSocket extends EventEmitter { destroyed = false; }

class FakeRes extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  socket: FakeSocket | null;
  readonly headers: Record<string, string> = {};
  constructor(socket: FakeSocket | null) { super(); this.socket = socket; }
  setHeader(k: string, v: string) { this.headers[k] = v; }
  /** The answer went out whole. */
  finish() { this.headersSent = true; this.writableFinished = true; this.emit('close'); }
}

// A request as the wire frames it: a body comes with Transfer-Encoding or Content-Length.
function setup(observer?: Observer, queued = false, headers: Record<string, string> = { 'transfer-encoding': 'chunked' }) {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('lifecycle-test');
  const metrics = buildMetrics();
  const connection = new FakeSocket();
  const req = Object.assign(new PassThrough(), { socket: connection, headers, method: 'POST', url: '/gradio_api/queue/join' }) as unknown as IncomingMessage;
  const res = new FakeRes(queued ? null : connection);
  const s = newState('/gradio_api/queue/join', '/gradio_api/queue/join', 'POST', ROOT_CONTEXT);
  s.serverSpan = tracer.startSpan('POST /gradio_api/queue/join', { kind: SpanKind.SERVER });
  s.clientSpan = tracer.startSpan('POST /gradio_api/queue/join', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, s.serverSpan));
  const bodyChunks: number[] = [];
  const life = new RequestLifecycle(req, res as unknown as ServerResponse, s, observer, {
    metrics, finish: { metrics, accessLog: undefined }, reveal: () => true, bodies: { passed: (n) => void bodyChunks.push(n) },
  });
  const spans = (kind: SpanKind): ReadableSpan[] => mem.getFinishedSpans().filter((sp) => sp.kind === kind);
  const active = async () => (await metrics.activeRequests.get()).values.reduce((n, v) => n + v.value, 0);
  return { life, s, req, res, connection, spans, active, bodyChunks };
}

/** An upstream answer as http-proxy's ClientRequest hands it over. */
function upstreamAnswer(status: number, headers: Record<string, string> = {}) {
  return Object.assign(new PassThrough(), { statusCode: status, headers, complete: false }) as unknown as IncomingMessage & PassThrough;
}

test('a whole exchange: trace fields on the answer, bytes counted, both spans ended once, gauge back to 0', async (t) => {
  const x = setup();
  t.is(await x.active(), 1);
  const proxyReq = Object.assign(new EventEmitter(), { destroy() {} }) as unknown as ClientRequest;
  x.life.upstreamRequest(proxyReq);
  (x.req as unknown as PassThrough).write(Buffer.from('{"a":1}'));
  const proxyRes = upstreamAnswer(200, { 'content-type': 'application/json' });
  x.life.upstreamResponse(proxyRes);
  t.regex(x.res.headers['x-trace-id'] ?? '', /^[0-9a-f]{32}$/);
  t.regex(x.res.headers.traceresponse ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  proxyRes.emit('data', Buffer.from('{"event_id":"e"}'));
  proxyRes.emit('end');
  x.res.finish();
  x.res.emit('close');
  x.connection.emit('close');
  t.is(x.spans(SpanKind.SERVER).length, 1);
  t.is(x.spans(SpanKind.CLIENT).length, 1);
  assertSpan(t, x.spans(SpanKind.SERVER)[0], {
    kind: SpanKind.SERVER,
    attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 200, [A.ATTR_HTTP_REQUEST_BODY_SIZE]: 7, [A.ATTR_HTTP_RESPONSE_BODY_SIZE]: 16, [A.ATTR_PROXY_CLIENT_ABORTED]: undefined },
  });
  assertSpan(t, x.spans(SpanKind.CLIENT)[0], { attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 } });
  t.is(await x.active(), 0);
  // Both bodies' chunks are counted towards the scavenge budget (body-scavenger.ts).
  t.deepEqual(x.bodyChunks, [7, 16]);
});

test('a request that cannot carry a body is not listened to for one', (t) => {
  for (const headers of [{}, { 'content-length': '0' }] as Record<string, string>[]) {
    const x = setup(undefined, false, headers);
    t.is((x.req as unknown as PassThrough).listenerCount('data'), 0, JSON.stringify(headers));
    x.res.finish();
    t.is(x.spans(SpanKind.SERVER).length, 1);
  }
  for (const headers of [{ 'content-length': '7' }, { 'transfer-encoding': 'chunked' }] as Record<string, string>[]) {
    const x = setup(undefined, false, headers);
    (x.req as unknown as PassThrough).write(Buffer.from('{"a":1}'));
    x.res.finish();
    assertSpan(t, x.spans(SpanKind.SERVER)[0], { attributes: { [A.ATTR_HTTP_REQUEST_BODY_SIZE]: 7 } });
  }
});

test('the client leaves mid-answer: 499-style abort, the app is told at once, nothing is an error', async (t) => {
  const x = setup();
  let destroyed = 0;
  const proxyReq = Object.assign(new EventEmitter(), { destroy() { destroyed++; } }) as unknown as ClientRequest;
  x.life.upstreamRequest(proxyReq);
  const proxyRes = upstreamAnswer(200, { 'content-type': 'text/event-stream' });
  x.life.upstreamResponse(proxyRes);
  proxyRes.emit('data', Buffer.from('data: 1\n\n'));
  x.res.headersSent = true;
  x.res.emit('close');
  t.is(destroyed, 1, 'the upstream request is cut');
  assertSpan(t, x.spans(SpanKind.SERVER)[0], { status: SpanStatusCode.UNSET, attributes: { [A.ATTR_PROXY_CLIENT_ABORTED]: true, [A.ATTR_ERROR_TYPE]: undefined } });
  t.is(await x.active(), 0);
});

test('the app cuts its answer: upstream_reset on both spans', (t) => {
  const x = setup();
  const proxyRes = upstreamAnswer(200);
  x.life.upstreamResponse(proxyRes);
  x.life.upstreamCut();
  x.res.headersSent = true;
  x.res.emit('close');
  for (const kind of [SpanKind.SERVER, SpanKind.CLIENT]) {
    assertSpan(t, x.spans(kind)[0], { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_ERROR_TYPE]: A.ErrorType.UPSTREAM_RESET } });
  }
});

test('an answer still queued behind an earlier one when the connection dies: finished by the connection close, once', async (t) => {
  const x = setup(undefined, true);
  x.connection.emit('close');
  t.is(x.spans(SpanKind.SERVER).length, 1);
  x.res.emit('close');
  t.is(x.spans(SpanKind.SERVER).length, 1, 'not twice');
  t.is(await x.active(), 0);
  t.is(x.connection.listenerCount('close'), 0, 'the connection keeps no listener of a finished request');
});

test('the SERVER span waits for the parsers, then carries what they found', async (t) => {
  let settle!: () => void;
  const settled = new Promise<void>((r) => { settle = r; });
  const x = setup({ settled: () => settled, onClose: () => undefined });
  x.res.finish();
  t.is(x.spans(SpanKind.SERVER).length, 0, 'not before the parsers are done');
  t.is(await x.active(), 0, 'but the exchange is no longer in flight');
  x.s.found.set({ [A.ATTR_GRADIO_API_NAME]: 'tts' });
  x.s.found.event(A.EVENT_GRADIO_CLOSE_STREAM, x.s.startedAt + 1);
  x.s.found.errorType = 'app_error';
  settle();
  await new Promise((r) => setImmediate(r));
  const server = x.spans(SpanKind.SERVER)[0];
  assertSpan(t, server, { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_GRADIO_API_NAME]: 'tts', [A.ATTR_ERROR_TYPE]: 'app_error' } });
  t.deepEqual(server!.events.map((e) => e.name), [A.EVENT_GRADIO_CLOSE_STREAM]);
  t.true(Math.abs(hrTimeToMilliseconds(server!.events[0]!.time) - (x.s.startedAt + 1)) < 0.01, 'at the time it was seen, not at the end');
});

test('an observer with nothing left to wait for ends the request in the close\'s own turn', (t) => {
  let asked = 0;
  const x = setup({ settled: () => { asked++; }, onClose: () => undefined });
  x.res.finish();
  t.is(asked, 1);
  t.is(x.spans(SpanKind.SERVER).length, 1, 'no promise, no timer: ended before close() returned');
});

test('an error an observer saw in the stream is the request\'s: a client leaving after it is not an abort', (t) => {
  const x = setup();
  x.s.found.errorType = A.ErrorType.SESSION_NOT_FOUND;
  x.res.headersSent = true;
  x.res.emit('close');
  assertSpan(t, x.spans(SpanKind.SERVER)[0], { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_ERROR_TYPE]: A.ErrorType.SESSION_NOT_FOUND, [A.ATTR_PROXY_CLIENT_ABORTED]: undefined } });
});

test('findings keep a bounded number of events', (t) => {
  const x = setup();
  for (let i = 0; i < 10_000; i++) x.s.found.event(A.EVENT_GRADIO_CLOSE_STREAM);
  t.is(x.s.found.events.length, MAX_FINDING_EVENTS);
});

test('a failure http-proxy reports: classified, recorded on the CLIENT span, trace fields for the answer', (t) => {
  const x = setup();
  const c = x.life.upstreamFailed(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
  t.is(c.status, 502);
  t.is(c.errorType, A.ErrorType.UPSTREAM_UNAVAILABLE);
  t.regex(x.life.traceFields()?.traceId ?? '', /^[0-9a-f]{32}$/);
  x.res.statusCode = 502;
  x.res.finish();
  assertSpan(t, x.spans(SpanKind.CLIENT)[0], { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_ERROR_TYPE]: A.ErrorType.UPSTREAM_UNAVAILABLE } });
  t.is(x.spans(SpanKind.CLIENT)[0]!.events[0]?.name, 'exception');
});
