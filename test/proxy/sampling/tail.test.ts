import test from 'ava';
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { HeadSampler, RatioControl, withForce, type SamplerName } from '../../../proxy/src/sampling/head.js';
import { TailSampler, type TailOptions } from '../../../proxy/src/sampling/tail.js';
import * as A from '../../../proxy/src/spans/attributes.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { spanLimitsFrom } from '../../../proxy/src/config/span-limits.js';
import { ProxyTracer, type OwnedSpanOptions } from '../../../proxy/src/spans/tracer.js';

function rig(opts: Partial<TailOptions> = {}, sampler: SamplerName = 'always_off') {
  const clock = { now: 1_000_000 };
  const exported: ReadableSpan[] = [];
  const counts: Record<string, number> = {};
  const inc = (k: string) => { counts[k] = (counts[k] ?? 0) + 1; };
  const tail = new TailSampler({
    slowMs: 1000, maxWaitMs: 10_000, maxTraces: 100, maxSpans: 1000, maxSpansPerTrace: 50, now: () => clock.now, sweepMs: 3_600_000, ...opts,
  }, (s) => exported.push(...s), {
    decided: (kept, reason) => inc(`${kept ? 'kept' : 'dropped'}:${reason}`),
    early: (c) => inc(`early:${c}`),
    overflow: (l) => inc(`overflow:${l}`),
    late: (o) => inc(`late:${o}`),
  });
  const provider = new BasicTracerProvider({ sampler: new HeadSampler(sampler, new RatioControl(0)), spanProcessors: [tail] });
  const tracer: Tracer = provider.getTracer('test');
  const t0 = Date.now();
  /** A SERVER span and its CLIENT child, started at t0 (ms). */
  const request = (ctx = ROOT_CONTEXT) => {
    const server = tracer.startSpan('GET /x', { kind: SpanKind.SERVER, startTime: t0 }, ctx);
    const client = tracer.startSpan('GET /x', { kind: SpanKind.CLIENT, startTime: t0 }, trace.setSpan(ctx, server));
    return { server, client, ctx: trace.setSpan(ctx, server) };
  };
  const end = (s: Span, ms = 10, error = false) => {
    if (error) s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    s.end(t0 + ms);
  };
  return { tail, tracer, exported, counts, clock, request, end, t0, provider };
}

test('an unsampled, healthy trace is dropped and nothing stays held', (t) => {
  const r = rig();
  const { server, client } = r.request();
  r.end(client);
  r.end(server);
  t.is(r.exported.length, 0);
  t.deepEqual(r.counts, { 'dropped:unsampled': 1 });
  t.is(r.tail.heldTraces, 0);
  t.is(r.tail.heldSpans, 0);
});

test('an error anywhere keeps the whole trace; its root says why', (t) => {
  const r = rig();
  const { server, client } = r.request();
  r.end(client, 10, true);
  t.is(r.exported.length, 0, 'nothing leaves before the trace is complete');
  r.end(server);
  t.is(r.exported.length, 2);
  t.deepEqual(r.counts, { 'kept:error': 1 });
  const root = r.exported.find((s) => s.kind === SpanKind.SERVER)!;
  t.is(root.attributes[A.ATTR_TTS_SAMPLING_TAIL_REASON], 'error');
  t.is(root.spanContext().spanId, server.spanContext().spanId);
  // The exporters get the recorded span itself, of the shape of every other span: a view object
  // (another shape) made each encoder after the tail polymorphic (issue 10).
  t.is(root, server as unknown as ReadableSpan);
  t.deepEqual(Object.keys(root), Object.keys(r.exported.find((s) => s.kind === SpanKind.CLIENT)!));
  t.is(root.name, 'GET /x');
  t.is(r.exported.find((s) => s.kind === SpanKind.CLIENT)!.attributes[A.ATTR_TTS_SAMPLING_TAIL_REASON], undefined);
});

test('a slow SERVER span or gradio.predict keeps the trace; a slow CLIENT alone does not', (t) => {
  const r = rig({ slowMs: 1000 });
  const a = r.request();
  r.end(a.client, 999);
  r.end(a.server, 1000);
  t.is(r.counts['kept:slow'], 1);
  const b = r.request();
  r.end(b.client, 5000);
  r.end(b.server, 999);
  t.is(r.counts['dropped:unsampled'], 1);
  const c = r.request();
  const predict = r.tracer.startSpan(`${A.SPAN_GRADIO_PREDICT} /tts`, { startTime: r.t0 }, c.ctx);
  r.end(c.client);
  r.end(c.server);
  r.end(predict, 4000);
  t.is(r.counts['kept:slow'], 2);
  t.is(r.exported.length, 2 + 3);
});

test('a prediction that ends after its SERVER span, on another request, still decides its trace', (t) => {
  const r = rig();
  const { server, client, ctx } = r.request();
  const predict = r.tracer.startSpan(`${A.SPAN_GRADIO_PREDICT} /tts`, { startTime: r.t0 }, ctx);
  const queue = r.tracer.startSpan(A.SPAN_GRADIO_QUEUE, { startTime: r.t0 }, trace.setSpan(ctx, predict));
  r.end(client);
  r.end(server);
  t.is(r.tail.heldTraces, 1);
  t.is(r.tail.heldSpans, 2);
  t.is(r.exported.length, 0);
  r.end(queue, 50);
  r.end(predict, 60, true);
  t.deepEqual(r.counts, { 'kept:error': 1 });
  t.is(r.exported.length, 4);
  t.is(r.tail.heldTraces, 0);
});

test('head-sampled and forced spans pass straight through, counted once per trace', (t) => {
  const r = rig({}, 'always_on');
  const a = r.request();
  r.end(a.client);
  t.is(r.exported.length, 1, 'exported as it ends');
  r.end(a.server);
  const off = rig({}, 'always_off');
  const f = off.request(withForce(ROOT_CONTEXT, 'b3_debug'));
  off.end(f.client);
  off.end(f.server);
  t.deepEqual(r.counts, { 'kept:head': 1 });
  t.deepEqual(off.counts, { 'kept:forced': 1 });
  t.is(off.exported.length, 2);
  t.is(off.exported.find((s) => s.kind === SpanKind.SERVER)!.attributes[A.ATTR_TTS_SAMPLING_FORCED], 'b3_debug');
});

test('max wait: a trace still open is decided on what ended; a late failure is still kept, a late success is not', (t) => {
  const r = rig({ maxWaitMs: 10_000 });
  const a = r.request();
  const b = r.request();
  r.end(a.server);
  r.end(b.server);
  r.clock.now += 10_000;
  r.tail.sweep();
  t.deepEqual(r.counts, { 'early:timeout': 2, 'dropped:unsampled': 2 });
  r.end(a.client, 20, true);
  r.end(b.client, 20);
  t.is(r.exported.length, 1);
  t.is(r.exported[0]!.spanContext().spanId, a.client.spanContext().spanId);
  t.is(r.counts['late:error_kept'], 1);
  t.is(r.counts['late:dropped'], 1);
});

test('spans of a trace already kept are kept when they end later', (t) => {
  const r = rig({ maxWaitMs: 1000 });
  const a = r.request();
  r.end(a.server, 10, true);
  r.clock.now += 1000;
  r.tail.sweep();
  t.is(r.counts['kept:error'], 1);
  r.end(a.client);
  t.is(r.exported.length, 2);
  t.is(r.counts['late:kept'], 1);
});

test('caps: traces held, spans per trace, spans in total; each overflow is counted', (t) => {
  const r = rig({ maxTraces: 3 });
  const reqs = Array.from({ length: 5 }, () => r.request());
  t.is(r.tail.heldTraces, 3);
  t.is(r.counts['overflow:traces'], 2);
  t.is(r.counts['early:evicted'], 2);
  for (const q of reqs) { r.end(q.client); r.end(q.server); }
  t.is(r.tail.heldTraces, 0);

  const p = rig({ maxSpansPerTrace: 2 });
  const q = p.request();
  const kids = Array.from({ length: 4 }, () => p.tracer.startSpan('k', { startTime: p.t0 }, q.ctx));
  for (const k of kids) p.end(k);
  p.end(q.client, 10, true);
  p.end(q.server);
  t.is(p.exported.length, 2);
  t.is(p.counts['overflow:spans_per_trace'], 4);

  const s = rig({ maxSpans: 4 });
  const open = Array.from({ length: 3 }, () => s.request());
  for (const o of open) for (let i = 0; i < 2; i++) s.end(s.tracer.startSpan('k', { startTime: s.t0 }, o.ctx));
  t.true(s.tail.heldSpans <= 4, `held ${s.tail.heldSpans}`);
  t.is(s.counts['overflow:spans'], 1);
});

test('willKeep: what metrics ask before attaching an exemplar', (t) => {
  const r = rig();
  const a = r.request();
  const id = a.server.spanContext().traceId;
  t.false(r.tail.willKeep(id, false));
  r.end(a.client, 10, true);
  t.true(r.tail.willKeep(id, false), 'held with an error');
  r.end(a.server);
  t.true(r.tail.willKeep(id, false), 'kept');
  t.true(r.tail.willKeep('f'.repeat(32), true), 'head-sampled');
  const b = r.request();
  r.end(b.client);
  r.end(b.server);
  t.false(r.tail.willKeep(b.server.spanContext().traceId, false));
});

test('keep budget: an error storm keeps one second of burst, then the refill rate; the rest is counted as rate_limited', (t) => {
  const r = rig({ maxKeepsPerSecond: 3 });
  const failed = () => { const q = r.request(); r.end(q.client, 10, true); r.end(q.server); return q; };
  for (let i = 0; i < 5; i++) failed();
  t.is(r.exported.length, 6, 'three whole traces: the burst');
  t.deepEqual(r.counts, { 'kept:error': 3, 'dropped:rate_limited': 2 });
  t.is(r.tail.heldTraces, 0);
  t.is(r.tail.heldSpans, 0);
  r.clock.now += 500;
  failed();
  failed();
  t.is(r.counts['kept:error'], 4, 'half a second refills 1.5 keeps');
  t.is(r.counts['dropped:rate_limited'], 3);
  // A slow trace draws on the same budget; a forced one, spent budget or not, does not.
  r.clock.now += 1000;
  for (let i = 0; i < 4; i++) { const q = r.request(); r.end(q.client, 1500); r.end(q.server, 1500); }
  t.is(r.counts['kept:slow'], 3);
  t.is(r.counts['dropped:rate_limited'], 4);
  const forced = r.request(withForce(ROOT_CONTEXT, 'token'));
  r.end(forced.client, 10, true);
  r.end(forced.server);
  t.is(r.counts['kept:forced'], 1);
});

test('keep budget: a failure ending after its trace was dropped takes a keep too; 0 means no budget', (t) => {
  const r = rig({ maxKeepsPerSecond: 1, maxWaitMs: 1000 });
  const a = r.request();
  const b = r.request();
  r.end(a.server);
  r.end(b.server);
  r.clock.now += 1000;
  r.tail.sweep();
  r.end(a.client, 20, true);
  r.end(b.client, 20, true);
  t.is(r.exported.length, 1);
  t.is(r.counts['late:error_kept'], 1);
  t.is(r.counts['late:error_rate_limited'], 1);

  const open = rig({ maxKeepsPerSecond: 0 });
  for (let i = 0; i < 50; i++) { const q = open.request(); open.end(q.client, 10, true); open.end(q.server); }
  t.is(open.counts['kept:error'], 50);
});

test('keep budget: willKeep says no for a failing trace the budget cannot keep now', (t) => {
  const r = rig({ maxKeepsPerSecond: 1 });
  const a = r.request();
  r.end(a.client, 10, true);
  t.true(r.tail.willKeep(a.server.spanContext().traceId, false), 'a keep is left');
  r.end(a.server);
  const b = r.request();
  r.end(b.client, 10, true);
  t.false(r.tail.willKeep(b.server.spanContext().traceId, false), 'the budget is spent');
  r.clock.now += 1000;
  t.true(r.tail.willKeep(b.server.spanContext().traceId, false), 'refilled');
});

test('forceFlush decides every held trace (shutdown)', async (t) => {
  const r = rig();
  const a = r.request();
  r.end(a.server, 10, true);
  await r.tail.forceFlush();
  t.is(r.tail.heldTraces, 0);
  t.is(r.exported.length, 1);
  t.is(r.counts['early:flush'], 1);
  await r.tail.shutdown();
});

test('bad input: a million distinct trace ids, each left open, stay within the caps', (t) => {
  const r = rig({ maxTraces: 10_000, maxSpans: 50_000 });
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) {
    const server = r.tracer.startSpan('GET /x', { kind: SpanKind.SERVER, startTime: r.t0 });
    // The CLIENT span never ends: the trace stays "in flight" until evicted.
    r.tracer.startSpan('GET /x', { kind: SpanKind.CLIENT, startTime: r.t0 }, trace.setSpan(ROOT_CONTEXT, server));
    server.end(r.t0 + 1);
  }
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  t.log(`held ${r.tail.heldTraces} traces / ${r.tail.heldSpans} spans; heap +${heapMb.toFixed(0)} MB; evicted ${r.counts['overflow:traces']}`);
  t.is(r.tail.heldTraces, 10_000);
  t.is(r.tail.heldSpans, 10_000);
  t.is(r.counts['overflow:traces'], 990_000);
  t.is(r.counts['dropped:unsampled'], 990_000);
  // 10,000 held spans at a few KB each, plus garbage not yet collected: far below 1M spans' worth.
  t.true(heapMb < 400, `heap grew ${heapMb.toFixed(0)} MB`);
});

// The proxy's own tracer, whose request spans build their start attributes only when needed
// (spans/tracer.ts, attributesLater): the tail builds them for what it keeps, and for nothing else.
test('start attributes left for later: built for the spans of a kept trace (late ones too), never for a dropped one', (t) => {
  const exported: ReadableSpan[] = [];
  const clock = { now: 1_000_000 };
  const tail = new TailSampler({ slowMs: 1000, maxWaitMs: 10_000, maxTraces: 100, maxSpans: 1000, maxSpansPerTrace: 50, sweepMs: 3_600_000, now: () => clock.now },
    (s) => exported.push(...s), { decided: () => undefined, early: () => undefined, overflow: () => undefined, late: () => undefined });
  const tracer = new ProxyTracer({
    resource: resourceFromAttributes({}), scope: { name: 'test' }, sampler: new HeadSampler('always_off', new RatioControl(0)),
    limits: spanLimitsFrom({}), processors: [tail],
  });
  const built: string[] = [];
  const later = (name: string): OwnedSpanOptions => ({ attributesLater: () => { built.push(name); return { 'http.route': name }; } });
  const trace1 = (name: string, fail: boolean) => {
    const server = tracer.startSpan(`${name} server`, { kind: SpanKind.SERVER, ...later(`${name} server`) }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, server);
    const client = tracer.startSpan(`${name} client`, { kind: SpanKind.CLIENT, ...later(`${name} client`) }, ctx);
    const child = tracer.startSpan(`${name} child`, later(`${name} child`), ctx);
    client.setAttribute('http.response.status_code', fail ? 502 : 200);
    if (fail) client.setStatus({ code: SpanStatusCode.ERROR });
    client.end();
    server.end();
    return child;
  };
  trace1('ok', false).end();
  const late = trace1('bad', true);
  t.deepEqual(built, [], 'nothing built while held');
  // At max wait the open trace is decided on what ended: kept for the failure; its late span is kept too.
  clock.now += 10_001;
  tail.sweep();
  t.is(tail.heldTraces, 0);
  late.end();
  t.deepEqual(built.sort(), ['bad child', 'bad client', 'bad server']);
  t.deepEqual(exported.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code'] ?? null, s.attributes[A.ATTR_TTS_SAMPLING_TAIL_REASON] ?? null]).sort(), [
    ['bad child', 'bad child', null, null],
    ['bad client', 'bad client', 502, null],
    ['bad server', 'bad server', null, 'error'],
  ]);
  void tail.shutdown();
});
