import { trace } from '@opentelemetry/api';
import test from 'ava';
import { makeExtractor } from '../../../common/propagation/extract.js';
import { injectHeaders } from '../../../common/propagation/inject.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const all = makeExtractor(['tracecontext', 'b3', 'b3multi']);

function parent(h: Record<string, string>) {
  const got = all(h);
  return { sc: trace.getSpanContext(got.context), format: got.format, invalid: got.invalid };
}

test('W3C traceparent', (t) => {
  const p = parent({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=x' });
  t.is(p.sc?.traceId, TRACE);
  t.is(p.sc?.spanId, SPAN);
  t.is(p.format, 'tracecontext');
  t.is(p.sc?.traceState?.get('vendor'), 'x');
});

test('B3 single header, with debug', (t) => {
  const p = parent({ b3: `${TRACE}-${SPAN}-d` });
  t.is(p.sc?.traceId, TRACE);
  t.is(p.format, 'b3');
  t.is(p.sc?.traceFlags, 1);
});

test('B3 multi headers, 64-bit trace id is left-padded to 128 bits', (t) => {
  const p = parent({ 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' });
  t.is(p.sc?.traceId, '0000000000000000a3ce929d0e0e4736');
  t.is(p.format, 'b3multi');
});

test('order follows the configuration', (t) => {
  const other = '11111111111111111111111111111111';
  const h = { traceparent: `00-${TRACE}-${SPAN}-01`, b3: `${other}-${SPAN}-1` };
  t.is(trace.getSpanContext(makeExtractor(['b3', 'tracecontext'])(h).context)?.traceId, other);
  t.is(trace.getSpanContext(makeExtractor(['tracecontext', 'b3'])(h).context)?.traceId, TRACE);
});

test('formats not configured are ignored', (t) => {
  t.is(trace.getSpanContext(makeExtractor(['tracecontext'])({ b3: `${TRACE}-${SPAN}-1` }).context), undefined);
});

const malformed: [string, Record<string, string>][] = [
  ['tracecontext', { traceparent: '00-zzzz-yyyy-01' }],
  ['tracecontext', { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` }],
  ['b3', { b3: 'not-a-b3-header' }],
  ['b3multi', { 'x-b3-traceid': 'xyz', 'x-b3-spanid': SPAN }],
];
for (const [format, headers] of malformed) {
  test(`malformed ${format} ${JSON.stringify(headers)} gives a new root and is reported`, (t) => {
    const p = parent(headers);
    t.is(p.sc, undefined);
    t.deepEqual(p.invalid, [format]);
  });
}

test('a malformed first format falls through to the next valid one', (t) => {
  const p = parent({ traceparent: 'garbage', b3: `${TRACE}-${SPAN}-1` });
  t.is(p.sc?.traceId, TRACE);
  t.deepEqual(p.invalid, ['tracecontext']);
});

test('inject writes W3C, b3 and X-B3-* with the same ids', (t) => {
  const ctx = trace.setSpanContext(all({}).context, { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  const h = injectHeaders(ctx);
  t.is(h.traceparent, `00-${TRACE}-${SPAN}-01`);
  t.is(h.b3, `${TRACE}-${SPAN}-1`);
  t.is(h['x-b3-traceid'], TRACE);
  t.is(h['x-b3-spanid'], SPAN);
  t.is(h['x-b3-sampled'], '1');
});
