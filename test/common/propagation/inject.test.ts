// Issue 10: the injector writes the upstream trace fields by hand (a third of the pipeline's
// time went to the three stock propagators, each looking the span up and validating it again).
// What it writes must stay exactly what the stock W3C, B3 single and B3 multi injectors write,
// field for field and in their order, for every context the proxy can hand it: a B3 debug flag
// set by the stock extractor (`b3: …-d`, `x-b3-flags: 1`), a tracestate, either sampling flag,
// a suppressed or an invalid context.
import { ROOT_CONTEXT, trace, type Context, type SpanContext, type TextMapSetter } from '@opentelemetry/api';
import { suppressTracing, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import test from 'ava';
import fc from 'fast-check';
import { injectHeaders, spanHeaders } from '../../../common/propagation/inject.js';

const stock = [
  new W3CTraceContextPropagator(),
  new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER }),
  new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
];
const setter: TextMapSetter<Record<string, string>> = { set: (c, k, v) => { c[k.toLowerCase()] = v; } };

/** The stock injectors' fields, with the empty tracestate they write left out (W3C: none at all). */
function stockHeaders(ctx: Context): [string, string][] {
  const out: Record<string, string> = {};
  for (const p of stock) p.inject(ctx, out, setter);
  if (out.tracestate === '') delete out.tracestate;
  return Object.entries(out);
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => /[1-9a-f]/.test(s));
// How the parent's B3 debug flag reaches the context: only the stock extractor sets it.
const parents: Record<string, Context> = {
  none: ROOT_CONTEXT,
  single: new B3Propagator().extract(ROOT_CONTEXT, { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d' }, { get: (c, k) => c[k], keys: Object.keys }),
  multi: new B3Propagator().extract(ROOT_CONTEXT, { 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7', 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-flags': '1' }, { get: (c, k) => c[k], keys: Object.keys }),
};

test('the same fields, values and order as the stock W3C, B3 single and B3 multi injectors', (t) => {
  fc.assert(fc.property(
    hex(32), hex(16), fc.constantFrom(0, 1), fc.constantFrom(...Object.keys(parents)),
    fc.option(fc.constantFrom('', 'rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')),
    (traceId, spanId, traceFlags, parent, state) => {
      const sc: SpanContext = { traceId, spanId, traceFlags, ...(state !== null ? { traceState: new TraceState(state) } : {}) };
      const ctx = trace.setSpan(parents[parent]!, trace.wrapSpanContext(sc));
      t.deepEqual(Object.entries(injectHeaders(ctx)), stockHeaders(ctx));
      // What the pipeline calls: the span's context and the context it would be set in.
      t.deepEqual(Object.entries(spanHeaders(sc, parents[parent]!)), stockHeaders(ctx));
    },
  ), { numRuns: 500 });
});

test('the debug flag: b3 carries it as extracted, x-b3-flags replaces x-b3-sampled only for the multi encoding', (t) => {
  const sc: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
  const single = injectHeaders(trace.setSpan(parents.single!, trace.wrapSpanContext(sc)));
  t.is(single.b3, '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-d');
  t.is(single['x-b3-sampled'], '1');
  const multi = injectHeaders(trace.setSpan(parents.multi!, trace.wrapSpanContext(sc)));
  t.is(multi['x-b3-flags'], '1');
  t.false('x-b3-sampled' in multi);
});

test('nothing for a context without a valid span, or with tracing suppressed', (t) => {
  const sc: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
  t.deepEqual(injectHeaders(ROOT_CONTEXT), {});
  t.deepEqual(injectHeaders(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ ...sc, spanId: '0000000000000000' }))), {});
  t.deepEqual(injectHeaders(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ ...sc, traceId: 'not-a-trace-id' }))), {});
  const suppressed = suppressTracing(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(sc)));
  t.deepEqual(injectHeaders(suppressed), {});
  t.deepEqual(stockHeaders(suppressed), []);
});
