// The websocket handshake's lifecycle (websocket-lifecycle.ts) with fake sockets and a real SDK
// tracer writing to memory: the SERVER span's status for each way a handshake ends, the gauges,
// and when the observer starts reading frames.
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import { buildMetrics } from '../../proxy/src/metrics.js';
import type { Observer } from '../../proxy/src/observer.js';
import { newState } from '../../proxy/src/request-state.js';
import * as A from '../../proxy/src/spans/attributes.js';
import { WebsocketLifecycle } from '../../proxy/src/websocket-lifecycle.js';
import { assertSpan } from '../support/assert-span.js';
import { until } from '../support/until.js';

function setup(observer?: Observer) {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('ws-lifecycle-test');
  const metrics = buildMetrics();
  const socket = new PassThrough();
  const s = newState('/queue/join', '/queue/join', 'GET', ROOT_CONTEXT);
  s.serverSpan = tracer.startSpan('GET /queue/join', { kind: SpanKind.SERVER });
  const life = new WebsocketLifecycle(socket, s, observer, { metrics, finish: { metrics, accessLog: undefined }, reveal: () => true });
  const proxyReq = new EventEmitter() as unknown as ClientRequest;
  life.upstreamRequest(proxyReq);
  const sum = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values.reduce((n, v) => n + v.value, 0);
  return {
    life, s, socket, proxyReq, server: () => mem.getFinishedSpans().filter((x) => x.kind === SpanKind.SERVER),
    active: () => sum(metrics.activeRequests), streams: () => sum(metrics.activeStreams),
  };
}

test('an upgraded websocket: 101 on the SERVER span once the client\'s socket closes, gauges back to 0', async (t) => {
  const x = setup();
  t.is(await x.active(), 1);
  x.proxyReq.emit('upgrade', { headers: {} } as IncomingMessage, new PassThrough());
  t.is(await x.streams(), 1);
  t.is(x.server().length, 0, 'open while the socket is');
  x.socket.destroy();
  await until(() => x.server().length === 1);
  assertSpan(t, x.server()[0], { status: SpanStatusCode.UNSET, attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 101 } });
  t.is(await x.active(), 0);
  t.is(await x.streams(), 0);
  x.socket.emit('close');
  t.is(x.server().length, 1, 'ended once');
});

test('a handshake the app refuses: the app\'s status; one it never answers: 502 with the error.type', async (t) => {
  const refused = setup();
  refused.proxyReq.emit('response', { statusCode: 403, headers: {} } as IncomingMessage);
  refused.socket.destroy();
  await until(() => refused.server().length === 1);
  assertSpan(t, refused.server()[0], { attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 403 } });

  const failed = setup();
  failed.life.upstreamFailed(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  failed.socket.destroy();
  await until(() => failed.server().length === 1);
  assertSpan(t, failed.server()[0], { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 502, [A.ATTR_ERROR_TYPE]: A.ErrorType.UPSTREAM_UNAVAILABLE } });
});

test('a handshake the app never answers in time: the proxy answers 504, and the SERVER span says what the client got', async (t) => {
  const x = setup();
  x.s.timedOut = true;
  const c = x.life.upstreamFailed(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  t.is(c.status, 504);
  const fields = x.life.traceFields();
  t.is(fields?.traceId, x.s.serverSpan!.spanContext().traceId);
  t.regex(fields?.headers.traceresponse ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  x.socket.destroy();
  await until(() => x.server().length === 1);
  assertSpan(t, x.server()[0], { status: SpanStatusCode.ERROR, attributes: { [A.ATTR_HTTP_RESPONSE_STATUS_CODE]: 504, [A.ATTR_ERROR_TYPE]: A.ErrorType.UPSTREAM_TIMEOUT } });
});

test('the observer reads frames from the tick after the 101, when http-proxy has piped both sockets', async (t) => {
  const seen: string[] = [];
  const x = setup({ onRequestChunk: (c) => seen.push(`client:${c}`), onResponseChunk: (c) => seen.push(`app:${c}`) });
  const proxySocket = new PassThrough();
  x.proxyReq.emit('upgrade', { headers: {} } as IncomingMessage, proxySocket as Duplex);
  t.is(x.socket.listenerCount('data'), 0, 'no data listener yet: it would make the socket flow before the pipe exists');
  t.is(proxySocket.listenerCount('data'), 0);
  await new Promise((r) => process.nextTick(r));
  x.socket.write('hi');
  proxySocket.write('hello');
  await until(() => seen.length === 2);
  t.deepEqual(seen.sort(), ['app:hello', 'client:hi']);
});

// As for HTTP (lifecycle.test.ts): the exchange leaves the in-flight gauges when the client's
// socket closes, though its SERVER span waits for the parsers. The websocket's waited with the span
// (up to SETTLE_MS): the fuzzer's health check saw 4 requests in flight after their window's
// connections had closed, let go 3 s later, in a window of five websockets on /queue/join.
test('the SERVER span waits for the parsers, but the request leaves the in-flight gauge when the socket closes', async (t) => {
  let settle!: () => void;
  const settled = new Promise<void>((r) => { settle = r; });
  const x = setup({ settled: () => settled, onClose: () => undefined });
  x.proxyReq.emit('upgrade', { headers: {} } as IncomingMessage, new PassThrough());
  x.socket.destroy();
  await new Promise((r) => setImmediate(r));
  t.is(x.server().length, 0, 'not before the parsers are done');
  t.is(await x.active(), 0, 'but the exchange is no longer in flight');
  t.is(await x.streams(), 0);
  settle();
  await until(() => x.server().length === 1);
  t.is(await x.active(), 0, 'and not counted down twice');
});
