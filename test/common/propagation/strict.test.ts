// Issue 9, defect 3: each inbound format validated to its spec. Examples from the specs, the
// hostile inputs that used to pass, and properties: any string in, a valid context or none out.
import { trace } from '@opentelemetry/api';
import test from 'ava';
import fc from 'fast-check';
import { validB3Multi } from '../../../common/propagation/b3-multi.js';
import { validB3Single } from '../../../common/propagation/b3-single.js';
import { makeExtractor } from '../../../common/propagation/extract.js';
import { injectHeaders } from '../../../common/propagation/inject.js';
import { validTraceparent } from '../../../common/propagation/w3c.js';

const T32 = '4bf92f3577b34da6a3ce929d0e0e4736';
const T16 = 'a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const P = 'b7ad6b7169203331';
const all = makeExtractor(['tracecontext', 'b3', 'b3multi']);
const sc = (h: Record<string, string>) => trace.getSpanContext(all(h).context);

test('B3 single: the grammar exactly', (t) => {
  for (const ok of [`${T32}-${S}`, `${T16}-${S}`, `${T32}-${S}-1`, `${T32}-${S}-0`, `${T32}-${S}-d`, `${T32}-${S}-1-${P}`]) t.true(validB3Single(ok), ok);
  for (const bad of [
    `${T32}-${S}-1-${P}-garbage`, `${T32}-${S}-1x`, `${T32}-${S}garbage`, `x${T32}-${S}`, ` ${T32}-${S}`,
    `${T32.toUpperCase()}-${S}`, `${T32}-${S.toUpperCase()}`, `${T32}-${S}-1-${P.toUpperCase()}`,
    `${T32.slice(1)}-${S}`, `${T32}0-${S}`, `${'0'.repeat(32)}-${S}`, `${T32}-${'0'.repeat(16)}`, `${T32}-${S}-1-${'0'.repeat(16)}`,
    `${T32}-${S}-2`, `${T32}-${S}-true`, `${T32}-${S}--${P}`, `${T32}-${S}-${P}`, '',
  ]) t.false(validB3Single(bad), bad);
});

test('B3 single: a sampling state alone is valid and announces no parent (not counted as malformed)', (t) => {
  for (const v of ['0', '1', 'd']) {
    const got = all({ b3: v });
    t.is(trace.getSpanContext(got.context), undefined);
    t.deepEqual(got.invalid, []);
  }
});

test('B3 multi: ids, parent, sampled and flags per spec', (t) => {
  const ok = (h: Record<string, string>) => validB3Multi({ 'x-b3-traceid': T32, 'x-b3-spanid': S, ...h });
  t.true(ok({}));
  t.true(ok({ 'x-b3-traceid': T16 }));
  t.true(ok({ 'x-b3-parentspanid': P, 'x-b3-sampled': '1' }));
  for (const v of ['0', '1', 'true', 'false']) t.true(ok({ 'x-b3-sampled': v }), v);
  t.true(ok({ 'x-b3-flags': '1' }));
  for (const bad of [
    { 'x-b3-traceid': T32.toUpperCase() }, { 'x-b3-spanid': S.toUpperCase() }, { 'x-b3-traceid': T32.slice(0, 20) },
    { 'x-b3-traceid': `${T32}00` }, { 'x-b3-traceid': '0'.repeat(16) }, { 'x-b3-spanid': '0'.repeat(16) },
    { 'x-b3-parentspanid': 'NOTHEX' }, { 'x-b3-parentspanid': P.toUpperCase() }, { 'x-b3-sampled': 'yes' },
    { 'x-b3-sampled': '1, 1' }, { 'x-b3-flags': '2' }, { 'x-b3-traceid': `${T32}, ${T32}` },
  ] as Record<string, string>[]) t.false(ok(bad), JSON.stringify(bad));
  t.false(validB3Multi({ 'x-b3-traceid': T32 }), 'no span id');
});

test('B3 multi: upper-case ids give a new root and are reported, never continued', (t) => {
  const got = all({ 'x-b3-traceid': T32.toUpperCase(), 'x-b3-spanid': S.toUpperCase(), 'x-b3-sampled': '1' });
  t.is(trace.getSpanContext(got.context), undefined);
  t.deepEqual(got.invalid, ['b3multi']);
});

test('B3 multi: debug still rides in the context for inject', (t) => {
  const ctx = all({ 'x-b3-traceid': T32, 'x-b3-spanid': S, 'x-b3-flags': '1' }).context;
  t.is(trace.getSpanContext(ctx)?.traceFlags, 1);
  t.is(injectHeaders(ctx)['x-b3-flags'], '1');
});

test('traceparent: version 00 exactly, later versions may extend, ff is invalid', (t) => {
  t.true(validTraceparent(`00-${T32}-${S}-01`));
  t.true(validTraceparent(`00-${T32}-${S}-00`));
  t.true(validTraceparent(`01-${T32}-${S}-01-what-the-future-adds`));
  t.true(validTraceparent(`01-${T32}-${S}-01`));
  for (const bad of [
    `00-${T32}-${S}-01-extra`, `00-${T32}-${S}-01x`, `ff-${T32}-${S}-01`, `00-${T32.toUpperCase()}-${S}-01`,
    `00-${T32}-${S.toUpperCase()}-01`, `00-${T32}-${S}-0A`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T32}-${'0'.repeat(16)}-01`,
    `0-${T32}-${S}-01`, `00-${T16}-${S}-01`, ` 00-${T32}-${S}-01`, `00-${T32}-${S}-01 `, `01-${T32}-${S}-01x`, '',
  ]) t.false(validTraceparent(bad), bad);
});

const anyHeader = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[0-9a-fA-F-]{0,80}$/),
  fc.tuple(fc.stringMatching(/^[0-9a-fA-F]{14,34}$/), fc.stringMatching(/^[0-9a-fA-F]{14,18}$/), fc.constantFrom('', '-0', '-1', '-d', '-x', '-1-'), fc.string({ maxLength: 20 }))
    .map(([a, b, c, d]) => `${a}-${b}${c}${d}`),
);

const HEX_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

test('property: any headers in, never throws, and a context out is valid to the letter', (t) => {
  fc.assert(fc.property(
    fc.record({ traceparent: anyHeader, tracestate: fc.string(), b3: anyHeader, 'x-b3-traceid': anyHeader, 'x-b3-spanid': anyHeader, 'x-b3-sampled': fc.string({ maxLength: 5 }) }, { requiredKeys: [] }),
    (headers) => {
      const got = all(headers);
      const s = trace.getSpanContext(got.context);
      if (s === undefined) return got.format === undefined;
      if (!HEX_ID.test(s.traceId) || /^0+$/.test(s.traceId) || !SPAN_ID.test(s.spanId) || /^0+$/.test(s.spanId)) return false;
      // What goes upstream is valid too: one trace, and no empty tracestate.
      const out = injectHeaders(got.context);
      return validTraceparent(out.traceparent) && out.tracestate !== '' && validB3Single(out.b3);
    },
  ), { numRuns: 2000 });
  t.pass();
});

test('property: a context is continued only when its own header is valid', (t) => {
  fc.assert(fc.property(anyHeader, (v) => {
    const b3 = sc({ b3: v });
    const tp = sc({ traceparent: v });
    return (b3 !== undefined) === validB3Single(v) && (tp !== undefined) === validTraceparent(v);
  }), { numRuns: 2000 });
  t.pass();
});
