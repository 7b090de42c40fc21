import test from 'ava';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type HrTime, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider, SamplingDecision, type IdGenerator, type ReadableSpan, type Sampler, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { spanLimitsFrom, type ResolvedSpanLimits } from '../../../proxy/src/config/span-limits.js';
import { otlpCodec, zipkinCodec } from '../../../proxy/src/export/codecs.js';
import { fillAttributes, ProxyTracer, type OwnedSpanOptions } from '../../../proxy/src/spans/tracer.js';

// The same ids for both tracers, so that their spans can be compared field for field.
function countingIds(): IdGenerator {
  let n = 0;
  const next = (len: number) => (++n).toString(16).padStart(len, '0');
  return { generateTraceId: () => next(32), generateSpanId: () => next(16) };
}

// Samples by name, and adds an attribute to one, as the head sampler does for a forced request.
const sampler: Sampler = {
  shouldSample(_ctx, _traceId, name) {
    if (name.startsWith('drop')) return { decision: SamplingDecision.NOT_RECORD };
    if (name.startsWith('record')) return { decision: SamplingDecision.RECORD };
    if (name.startsWith('forced')) return { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { 'tts.sampling.forced': 'token', bad: {} as never } };
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  },
  toString: () => 'test',
};

const resource = resourceFromAttributes({ 'service.name': 'svc', 'deployment.environment': 'test' });

interface Recorded {
  readonly started: string[];
  readonly ended: ReadableSpan[];
}

function recorder(): Recorded & { processor: SpanProcessor } {
  const started: string[] = [];
  const ended: ReadableSpan[] = [];
  return {
    started, ended,
    processor: {
      onStart: (s) => { started.push(s.name); },
      onEnd: (s) => { ended.push(s); },
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    },
  };
}

function tracers(limits: ResolvedSpanLimits): { sdk: Tracer; ours: Tracer; a: Recorded; b: Recorded } {
  const a = recorder();
  const b = recorder();
  const sdk = new BasicTracerProvider({ resource, sampler, spanLimits: limits, idGenerator: countingIds(), spanProcessors: [a.processor] }).getTracer('tts-trace-proxy');
  const ours = new ProxyTracer({ resource, scope: { name: 'tts-trace-proxy' }, sampler, limits, processors: [b.processor], idGenerator: countingIds() });
  return { sdk, ours, a, b };
}

const at = (s: number, us = 0): HrTime => [1_700_000_000 + s, us * 1000];

/** Everything a processor or exporter reads from a span. */
function view(s: ReadableSpan) {
  return {
    name: s.name, kind: s.kind, spanContext: s.spanContext(), parentSpanContext: s.parentSpanContext,
    startTime: s.startTime, endTime: s.endTime, duration: s.duration, ended: s.ended, status: s.status,
    attributes: s.attributes, events: s.events, links: s.links,
    droppedAttributesCount: s.droppedAttributesCount, droppedEventsCount: s.droppedEventsCount, droppedLinksCount: s.droppedLinksCount,
    resource: s.resource.attributes, scope: s.instrumentationScope.name,
  };
}

/** The proxy's ways of using a tracer, plus every edge the SDK has a rule for. */
function script(tracer: Tracer): void {
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const server = tracer.startSpan('GET /gradio_api/queue/join', {
    kind: SpanKind.SERVER, startTime: at(1),
    attributes: { 'http.request.method': 'GET', 'server.port': 8080, list: ['a', 'b'], mixed: ['a', 1] as never, nulls: [null, 'x'] as never, '': 'empty key', undef: undefined, obj: {} as never, long: 'x'.repeat(40) },
  }, remote);
  const serverCtx: Context = trace.setSpan(remote, server);
  const client = tracer.startSpan('GET /gradio_api/queue/join', { kind: SpanKind.CLIENT, startTime: at(1, 5) }, serverCtx);
  client.recordException({ name: 'Error', message: 'ECONNRESET' }, at(1, 9));
  client.recordException('plain message', at(1, 10));
  client.recordException({} as never, at(1, 11));
  client.setAttribute('http.response.status_code', 502);
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream_reset' });
  client.end(at(2));
  server.setAttributes({ a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, 'http.request.method': 'POST' });
  server.setAttribute('bad', { no: 1 } as never);
  server.setAttribute('', 'x');
  for (let i = 0; i < 5; i++) server.addEvent(`e${i}`, { i, s: 'y'.repeat(30), x1: 1, x2: 2, x3: 3 }, at(1, 100 + i));
  server.addEvent('time only', at(1, 200));
  server.addEvent('now');
  server.addLink({ context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 }, attributes: { l1: 1, l2: 'z'.repeat(30), l3: 3, l4: 4 } });
  server.addLinks([{ context: { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: 0 } }]);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
  server.setStatus({ code: SpanStatusCode.UNSET });
  server.updateName('POST /gradio_api/queue/join');
  server.end(at(3));
  server.end(at(4));
  server.setAttribute('after', 1);
  server.addEvent('after');
  server.setStatus({ code: SpanStatusCode.OK });
  // A span whose end is before its start ends with no duration.
  tracer.startSpan('backwards', { startTime: at(5) }, serverCtx).end(at(4));
  const ok = tracer.startSpan('gradio.predict /tts', { startTime: at(6), links: [{ context: client.spanContext(), attributes: { why: 'join' } }] }, serverCtx);
  ok.setStatus({ code: SpanStatusCode.OK });
  ok.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
  ok.end(at(7));
  tracer.startSpan('forced root', { startTime: at(8), root: true }, serverCtx).end(at(9));
  tracer.startSpan('record only', { startTime: at(8) }).end(at(9));
  const dropped = tracer.startSpan('drop me', { startTime: at(8) }, serverCtx);
  dropped.setAttribute('x', 1);
  dropped.end(at(9));
  // Attributes all set and within the limits (the span keeps the object it was given, validated),
  // then more than the count limit leaves room for, and one that is cut.
  const clean = tracer.startSpan('clean', { startTime: at(10), attributes: { 'http.route': '/x', n: 1, list: ['a', 'b'], ok: true } }, serverCtx);
  clean.setAttributes({ c1: 1, c2: 2, c3: 'w'.repeat(40), 'http.route': '/y' });
  clean.end(at(11));
  // Clean too, but beyond the small limits: seven attributes, a long string, a long string in a list.
  tracer.startSpan('clean many', { startTime: at(10), attributes: { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7 } }, serverCtx).end(at(11));
  tracer.startSpan('clean long', { startTime: at(10), attributes: { s: 'v'.repeat(40) } }, serverCtx).end(at(11));
  tracer.startSpan('clean long list', { startTime: at(10), attributes: { l: ['ok', 'u'.repeat(40)] } }, serverCtx).end(at(11));
  // Attributes made for the call (the proxy's own spans): the same span whether clean, or not
  // and then sanitized as the SDK does (the SDK ignores the flag).
  const owned = (attributes: Attributes): OwnedSpanOptions => ({ startTime: at(10), attributes, attributesOwned: true });
  tracer.startSpan('owned clean', owned({ 'http.route': '/x', n: 1, ok: true, s: 'v'.repeat(40) }), serverCtx).end(at(11));
  tracer.startSpan('owned list', owned({ list: ['a', 'b'], n: 2 }), serverCtx).end(at(11));
  tracer.startSpan('owned unclean', owned({ a: 'x', '': 'empty key', undef: undefined, nul: null as never, obj: {} as never, mixed: ['a', 1] as never }), serverCtx).end(at(11));
  tracer.startSpan('owned many', owned({ k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7 }), serverCtx).end(at(11));
  // A parent context that is not valid starts a new trace.
  const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 });
  tracer.startSpan('fresh root', { startTime: at(10) }, invalid).end(at(11));
}

const small: ResolvedSpanLimits = {
  attributeCountLimit: 6, attributeValueLengthLimit: 10, eventCountLimit: 3, linkCountLimit: 1,
  attributePerEventCountLimit: 3, attributePerLinkCountLimit: 2,
};

for (const [label, limits] of [['default limits', spanLimitsFrom({})], ['small limits', small]] as const) {
  test(`the proxy's tracer records what the SDK records (${label})`, (t) => {
    const { sdk, ours, a, b } = tracers(limits);
    script(sdk);
    script(ours);
    t.deepEqual(b.started, a.started);
    t.is(b.ended.length, a.ended.length);
    t.true(a.ended.length >= 6);
    const now = b.ended.map(view);
    const want = a.ended.map(view);
    for (let i = 0; i < want.length; i++) {
      // An event left without a time reads the clock: both are near now, never equal.
      const strip = (v: ReturnType<typeof view>) => ({ ...v, events: v.events.map((e) => (e.name === 'now' ? { ...e, time: 'clock' } : e)) });
      t.deepEqual(strip(now[i]!), strip(want[i]!), want[i]!.name);
    }
    // The exporters see the same bytes (the span with a clock-read event aside).
    const noClock = (spans: ReadableSpan[]) => spans.filter((s) => !s.events.some((e) => e.name === 'now'));
    t.is(noClock(a.ended).length, a.ended.length - 1);
    t.is(Buffer.from(zipkinCodec('svc').encode(noClock(b.ended))).toString(), Buffer.from(zipkinCodec('svc').encode(noClock(a.ended))).toString(), 'zipkin');
    t.deepEqual(otlpCodec('http/json').encode(noClock(b.ended)), otlpCodec('http/json').encode(noClock(a.ended)), 'otlp json');
    t.deepEqual(otlpCodec('http/protobuf').encode(noClock(b.ended)), otlpCodec('http/protobuf').encode(noClock(a.ended)), 'otlp protobuf');
  });
}

test('owned attributes: a clean object becomes the span\'s own; any other, and one not owned, is copied', (t) => {
  const { ours } = tracers(spanLimitsFrom({}));
  const clean: Attributes = { 'http.route': '/x', n: 1 };
  t.is((ours.startSpan('owned', { attributes: clean, attributesOwned: true } as OwnedSpanOptions) as unknown as ReadableSpan).attributes, clean);
  const notOwned: Attributes = { 'http.route': '/x', n: 1 };
  t.not((ours.startSpan('copied', { attributes: notOwned }) as unknown as ReadableSpan).attributes, notOwned);
  const unclean: Attributes = { 'http.route': '/x', gone: undefined };
  const span = ours.startSpan('unclean', { attributes: unclean, attributesOwned: true } as OwnedSpanOptions) as unknown as ReadableSpan;
  t.not(span.attributes, unclean);
  t.deepEqual(span.attributes, { 'http.route': '/x' });
});

test('a span without given times reads the clock, as the SDK does', (t) => {
  const { ours, b } = tracers(spanLimitsFrom({}));
  const before = Date.now();
  const s = ours.startSpan('clock');
  s.addEvent('mid');
  s.end();
  const after = Date.now();
  const r = b.ended[0]!;
  const ms = (h: HrTime) => h[0] * 1000 + h[1] / 1e6;
  t.true(ms(r.startTime) >= before - 1 && ms(r.startTime) <= after + 1);
  t.true(ms(r.endTime) >= ms(r.startTime) && ms(r.endTime) <= after + 1);
  t.true(ms(r.events[0]!.time) >= ms(r.startTime) && ms(r.events[0]!.time) <= ms(r.endTime));
  t.deepEqual(r.duration, [r.endTime[0] - r.startTime[0] - (r.endTime[1] < r.startTime[1] ? 1 : 0), (r.endTime[1] - r.startTime[1] + 1e9) % 1e9]);
});

test('startActiveSpan hands the function its span and returns what it returns', (t) => {
  const { ours, b } = tracers(spanLimitsFrom({}));
  const got = ours.startActiveSpan('active', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT, (span) => {
    span.end();
    return 7;
  });
  t.is(got, 7);
  t.is(b.ended[0]!.name, 'active');
});

test('shutdown shuts every processor down', async (t) => {
  let n = 0;
  const p: SpanProcessor = { onStart() {}, onEnd() {}, forceFlush: async () => undefined, shutdown: async () => { n++; } };
  await new ProxyTracer({ resource, scope: { name: 'x' }, sampler, limits: spanLimitsFrom({}), processors: [p, p] }).shutdown();
  t.is(n, 2);
});

test('spans share nothing they can be changed through: events, links and status of one never show on another', (t) => {
  const { ours, b } = tracers(spanLimitsFrom({}));
  const quiet = ours.startSpan('quiet', { startTime: at(0) }, ROOT_CONTEXT);
  const busy = ours.startSpan('busy', { startTime: at(0) }, ROOT_CONTEXT);
  busy.addEvent('e1');
  busy.addLink({ context: quiet.spanContext() });
  busy.setStatus({ code: SpanStatusCode.ERROR, message: 'x' });
  const other = ours.startSpan('other', { startTime: at(0) }, ROOT_CONTEXT);
  other.addEvent('e2');
  quiet.end(at(1));
  busy.end(at(2));
  other.end(at(3));
  const [q, bz, o] = b.ended;
  t.deepEqual([q!.events.length, q!.links.length, q!.status.code], [0, 0, SpanStatusCode.UNSET]);
  t.deepEqual(bz!.events.map((e) => e.name), ['e1']);
  t.is(bz!.links.length, 1);
  t.deepEqual(bz!.status, { code: SpanStatusCode.ERROR, message: 'x' });
  t.deepEqual(o!.events.map((e) => e.name), ['e2']);
  t.deepEqual(o!.status, { code: SpanStatusCode.UNSET });
  // Each span's end time and duration are its own.
  t.deepEqual([q!.endTime, bz!.endTime, o!.endTime], [at(1), at(2), at(3)]);
  t.deepEqual([q!.duration, bz!.duration], [[1, 0], [2, 0]]);
});

// Start attributes built later (issue 10): an unsampled span's are built only if its trace is kept.
// What the span then holds must be what it would have held with them from the start, whatever
// was set meanwhile: keys set again, keys past the count limit, values past the length limit.
function laterScript(tracer: Tracer, later: boolean, built: { n: number }): void {
  const start = (): Attributes => {
    built.n++;
    return { 'http.route': '/x', n: 1, long: 'q'.repeat(40), list: ['a', 'b'.repeat(30)], k5: 5 };
  };
  const opts = (name: string): OwnedSpanOptions => (later
    ? { startTime: at(1), attributesOwned: true, attributesLater: start }
    : { startTime: at(1), attributesOwned: true, attributes: start() });
  for (const name of ['record later', 'sampled later']) {
    const span = tracer.startSpan(name, opts(name), ROOT_CONTEXT);
    span.setAttributes({ m1: 1, n: 2, m2: 'r'.repeat(40), m3: 3 });
    span.setAttribute('http.route', '/y');
    // A new key set twice past the count limit is dropped (and counted) twice; a key that looks
    // like an index is still set in its turn.
    span.setAttribute('m4', 4);
    span.setAttribute('m4', 5);
    span.setAttribute('7', 'seven');
    span.addEvent('e', { a: 1 }, at(1, 5));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end(at(2));
    span.setAttribute('after end', 1);
  }
  // Unclean start attributes take the sanitizing path, later as at the start.
  const unclean = tracer.startSpan('record unclean', later
    ? { startTime: at(1), attributesOwned: true, attributesLater: () => ({ a: 'x', '': 'e', undef: undefined, obj: {} as never }) } as OwnedSpanOptions
    : { startTime: at(1), attributesOwned: true, attributes: { a: 'x', '': 'e', undef: undefined, obj: {} as never } } as OwnedSpanOptions, ROOT_CONTEXT);
  unclean.setAttribute('b', 2);
  unclean.end(at(2));
  // The sampler adds attributes to a forced span: they follow the built ones.
  tracer.startSpan('forced later', opts('forced later'), ROOT_CONTEXT).end(at(2));
}

for (const [label, limits] of [['default limits', spanLimitsFrom({})], ['small limits', small]] as const) {
  test(`start attributes built later: once filled, the span is the one built at its start, and the SDK's (${label})`, (t) => {
    const { sdk, ours, a, b } = tracers(limits);
    const eager = { n: 0 };
    const lazy = { n: 0 };
    laterScript(sdk, false, eager);
    laterScript(ours, true, lazy);
    // The sampled and forced spans built theirs at the start; the unsampled ones not yet.
    t.is(lazy.n, 2);
    for (const s of b.ended) fillAttributes(s);
    fillAttributes(b.ended[0]!);
    t.is(lazy.n, 3, 'built once, when filled');
    t.deepEqual(b.ended.map(view), a.ended.map(view));
    for (const s of b.ended) t.deepEqual(Object.keys(s.attributes), Object.keys(a.ended.find((x) => x.name === s.name)!.attributes), `${s.name}: key order`);
    t.is(Buffer.from(zipkinCodec('svc').encode(b.ended)).toString(), Buffer.from(zipkinCodec('svc').encode(a.ended)).toString(), 'zipkin');
    t.deepEqual(otlpCodec('http/protobuf').encode(b.ended), otlpCodec('http/protobuf').encode(a.ended), 'otlp protobuf');
  });
}

test('start attributes built later: a span nobody fills never builds them', (t) => {
  const { ours, b } = tracers(spanLimitsFrom({}));
  let built = 0;
  const span = ours.startSpan('record never kept', { attributesLater: () => { built++; return { x: 1 }; } } as OwnedSpanOptions, ROOT_CONTEXT);
  span.setAttribute('y', 2);
  span.end();
  t.is(built, 0);
  t.deepEqual(b.ended[0]!.attributes, {}, 'nothing to read until filled');
});
