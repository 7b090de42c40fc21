import test from 'ava';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { spanLimitsFrom } from '../../../proxy/src/config/span-limits.js';
import { PooledIdGenerator } from '../../../proxy/src/spans/ids.js';
import { ProxyTracer, RecordedSpan, validParentContext } from '../../../proxy/src/spans/tracer.js';
import { isSpanId, isTraceId128 } from '../../../common/propagation/ids.js';

test('ids are lower hex of the exact length, and distinct across pool refills', (t) => {
  const g = new PooledIdGenerator();
  const seen = new Set<string>();
  // 4096 random bytes per pool: this crosses several refills.
  for (let i = 0; i < 2000; i++) {
    const traceId = g.generateTraceId();
    const spanId = g.generateSpanId();
    t.true(isTraceId128(traceId), traceId);
    t.true(isSpanId(spanId), spanId);
    seen.add(traceId).add(spanId);
  }
  t.is(seen.size, 4000);
});

test('an all-zero draw is never handed out: the next one is', (t) => {
  let fills = 0;
  // The first pool is all zeros (every id in it invalid), the second counts up.
  const g = new PooledIdGenerator((b) => { fills++; if (fills === 1) b.fill(0); else for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 1) & 0xff; });
  const spanId = g.generateSpanId();
  const traceId = g.generateTraceId();
  t.is(fills, 2);
  t.true(isSpanId(spanId));
  t.true(isTraceId128(traceId));
  t.is(spanId, '01080f161d242b32');
});

const limits = spanLimitsFrom({});
const tracerWith = (idGenerator?: IdGenerator) => new ProxyTracer({
  resource: resourceFromAttributes({ 'service.name': 'svc' }), scope: { name: 't' }, sampler: new AlwaysOnSampler(), limits, processors: [], idGenerator,
});

test('a span of ours parents its children without a check; anything else is checked', (t) => {
  const ours = tracerWith().startSpan('a', {}, ROOT_CONTEXT) as RecordedSpan;
  t.true(ours.idsTrusted);
  t.is(validParentContext(ours), ours.spanContext());
  const child = tracerWith().startSpan('b', {}, trace.setSpan(ROOT_CONTEXT, ours));
  t.is(child.spanContext().traceId, ours.spanContext().traceId);

  // A remote context from propagation is checked as before.
  const remote = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  t.is(validParentContext(remote), remote.spanContext());
  const invalid = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED });
  t.is(validParentContext(invalid), undefined);
  t.is(validParentContext(undefined), undefined);
});

test('ids from a generator the tracer does not know are checked like any other', (t) => {
  // A generator that makes an invalid span id: its span cannot parent, as with the SDK.
  const bad = tracerWith({ generateTraceId: () => 'c'.repeat(32), generateSpanId: () => 'XYZ' });
  const parent = bad.startSpan('p', {}, ROOT_CONTEXT) as RecordedSpan;
  t.false(parent.idsTrusted);
  t.is(validParentContext(parent), undefined);
  const child = tracerWith().startSpan('c', {}, trace.setSpan(ROOT_CONTEXT, parent));
  t.not(child.spanContext().traceId, 'c'.repeat(32), 'a new trace, not a child of an invalid context');
});
