// Issue 9, defect 9 (part): tracestate per W3C Trace Context §3.3: at most 32 members, cut by
// whole members past 512 characters (members over 128 first), never an empty header; an invalid
// one is dropped with the traceparent kept.
import { trace } from '@opentelemetry/api';
import test from 'ava';
import fc from 'fast-check';
import { makeExtractor } from '../../../common/propagation/extract.js';
import { injectHeaders } from '../../../common/propagation/inject.js';
import { parseTraceState } from '../../../common/propagation/tracestate.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const extract = makeExtractor(['tracecontext']);

test('valid members pass as they are; OWS and empty members are ignored', (t) => {
  t.deepEqual(parseTraceState('congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'), { valid: true, value: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', truncated: false });
  t.deepEqual(parseTraceState(' a=1 ,, \tb=2'), { valid: true, value: 'a=1,b=2', truncated: false });
  t.deepEqual(parseTraceState('tenant@sys=v a l'), { valid: true, value: 'tenant@sys=v a l', truncated: false });
  t.deepEqual(parseTraceState(''), { valid: true, value: undefined, truncated: false });
  t.deepEqual(parseTraceState(['a=1', 'b=2']), { valid: true, value: 'a=1,b=2', truncated: false });
});

test('invalid: bad key or value, repeated key, more than 32 members', (t) => {
  for (const bad of ['UPPER=1', '=x', 'a', 'a=', 'a=b,c', 'a=1,a=2', '1a=1', 'a=x=y', 'a=in,valid=', 'a=b=c', `a=${'v'.repeat(257)}`, `${'k'.repeat(257)}=v`, 't@Sys=1', 't@s12345678901234=1']) {
    t.false(parseTraceState(bad).valid, bad);
  }
  t.false(parseTraceState(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')).valid);
  t.true(parseTraceState(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',')).valid);
});

test('over 512: members over 128 go first, then the rightmost; whole members only', (t) => {
  const long = `big=${'x'.repeat(200)}`;
  const small = Array.from({ length: 24 }, (_, i) => `k${i}=${'v'.repeat(16)}`);
  const got = parseTraceState([small[0], long, ...small.slice(1)].join(','));
  t.true(small.join(',').length <= 512 && [long, ...small].join(',').length > 512);
  t.true(got.valid && got.truncated);
  const value = got.valid ? got.value! : '';
  t.true(value.length <= 512);
  t.false(value.includes('big='));
  t.is(value, small.join(','), 'once the long member is gone it fits');
  const many = Array.from({ length: 32 }, (_, i) => `key${String(i).padStart(2, '0')}=${'v'.repeat(14)}`);
  const cut = parseTraceState(many.join(','));
  t.true(cut.valid && cut.value!.length <= 512 && many.join(',').startsWith(cut.value!), 'the leftmost (newest) members are kept');
});

test('the stock empty-header case: a single valid member over 512 leaves nothing, and no header is sent', (t) => {
  const member = `${'a'.repeat(256)}=${'v'.repeat(256)}`;
  t.deepEqual(parseTraceState(member), { valid: true, value: undefined, truncated: true });
  const got = extract({ traceparent: TP, tracestate: member });
  t.truthy(trace.getSpanContext(got.context));
  t.false('tracestate' in injectHeaders(got.context));
});

test('an invalid tracestate is dropped and reported; the traceparent is kept', (t) => {
  const got = extract({ traceparent: TP, tracestate: 'UPPER=1' });
  t.is(got.format, 'tracecontext');
  t.deepEqual(got.invalid, ['tracestate']);
  t.false('tracestate' in injectHeaders(got.context));
});

test('property: any tracestate in, never throws; what goes upstream is absent or valid and at most 512', (t) => {
  const member = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,20}$/), fc.stringMatching(/^[!-+\--<>-~]{1,200}$/)).map(([k, v]) => `${k}=${v}`);
  fc.assert(fc.property(fc.oneof(fc.string(), fc.array(member, { maxLength: 40 }).map((m) => m.join(','))), (ts) => {
    const out = injectHeaders(extract({ traceparent: TP, tracestate: ts }).context);
    if (!('tracestate' in out)) return true;
    const again = parseTraceState(out.tracestate);
    return out.tracestate!.length > 0 && out.tracestate!.length <= 512 && again.valid && again.value === out.tracestate;
  }), { numRuns: 1000 });
  t.pass();
});
