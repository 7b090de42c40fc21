import test from 'ava';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { b3MultiDebug, b3SingleDebug, forcingExtractor, makeForceDecider, tokenMatches, type ForceOptions } from '../../../proxy/src/sampling/force.js';
import { forcedBy } from '../../../proxy/src/sampling/head.js';

const base: ForceOptions = { token: '', b3Debug: true, b3Single: true, b3Multi: true, maxPerSecond: 0 };
const T = '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1';

test('B3 debug in both encodings', (t) => {
  t.true(b3SingleDebug('d'));
  t.true(b3SingleDebug(`${T}-d`));
  t.true(b3SingleDebug(`${T}-d-05e3ac9a4f6e3b90`));
  t.false(b3SingleDebug(`${T}-1`));
  t.false(b3SingleDebug('1'));
  t.false(b3SingleDebug(undefined));
  // Only a header valid to the B3 grammar forces anything (issue 9): no garbage, no upper case.
  t.false(b3SingleDebug(`${T}-d-garbage`));
  t.false(b3SingleDebug(`${T.toUpperCase()}-d`));
  t.false(b3SingleDebug('x-y-d'));
  t.true(b3MultiDebug('1'));
  t.false(b3MultiDebug('0'));
  t.false(b3MultiDebug('true'));
});

test('X-Debug-Tracing forces only with the configured token', (t) => {
  const none = makeForceDecider(base);
  t.deepEqual(none({ 'x-debug-tracing': 'anything' }), { refused: 'no_token_configured' });
  t.deepEqual(none({ 'x-debug-tracing': '' }), { refused: 'no_token_configured' });
  const withToken = makeForceDecider({ ...base, token: 's3cret-token' });
  t.deepEqual(withToken({ 'x-debug-tracing': 's3cret-token' }), { forced: 'token', refused: undefined });
  t.deepEqual(withToken({ 'x-debug-tracing': 's3cret-tokeN' }), { refused: 'bad_token' });
  t.deepEqual(withToken({ 'x-debug-tracing': 's3cret-token-and-more' }), { refused: 'bad_token' });
  t.deepEqual(withToken({ 'x-debug-tracing': '' }), { refused: 'bad_token' });
  t.deepEqual(withToken({}), { refused: undefined });
  t.false(tokenMatches('x', ''));
});

test('B3 debug forces unless disabled, or its format is not read', (t) => {
  t.is(makeForceDecider(base)({ 'x-b3-flags': '1' }).forced, 'b3_debug');
  t.is(makeForceDecider(base)({ b3: 'd' }).forced, 'b3_debug');
  t.is(makeForceDecider({ ...base, b3Debug: false })({ 'x-b3-flags': '1' }).forced, undefined);
  t.is(makeForceDecider({ ...base, b3Multi: false })({ 'x-b3-flags': '1' }).forced, undefined);
  t.is(makeForceDecider({ ...base, b3Single: false })({ b3: 'd' }).forced, undefined);
  // A wrong token does not stop B3 debug (they are independent), but the refusal is reported.
  t.deepEqual(makeForceDecider({ ...base, token: 'k' })({ 'x-debug-tracing': 'no', 'x-b3-flags': '1' }), { forced: 'b3_debug', refused: 'bad_token' });
});

test('forced traces are rate-limited: one second of burst, then the rate', (t) => {
  let clock = 0;
  const d = makeForceDecider({ ...base, maxPerSecond: 5, now: () => clock });
  const first = Array.from({ length: 8 }, () => d({ 'x-b3-flags': '1' }));
  t.is(first.filter((v) => v.forced).length, 5);
  t.is(first.filter((v) => v.refused === 'rate_limited').length, 3);
  clock += 400; // 2 tokens back
  t.is(Array.from({ length: 5 }, () => d({ 'x-b3-flags': '1' })).filter((v) => v.forced).length, 2);
  // Requests that do not ask are never limited.
  t.deepEqual(d({}), { refused: undefined });
});

test('the extractor wrapper puts the reason in the context and reports refusals and oversize tracestate', (t) => {
  const refused: string[] = [];
  const oversize: string[] = [];
  const extract = forcingExtractor(() => ({ context: ROOT_CONTEXT, invalid: [] as string[] }), makeForceDecider({ ...base, token: 'tok' }), {
    refused: (r) => refused.push(r), oversize: (h) => oversize.push(h),
  });
  t.is(forcedBy(extract({ 'x-debug-tracing': 'tok' }).context), 'token');
  t.is(forcedBy(extract({ 'x-debug-tracing': 'bad' }).context), undefined);
  t.is(forcedBy(extract({ tracestate: 'a=' + 'x'.repeat(600) }).context), undefined);
  t.deepEqual(refused, ['bad_token']);
  t.deepEqual(oversize, ['tracestate']);
});

test('wrong tokens are budgeted per client; past the budget the header is ignored, even when right', (t) => {
  let now = 0;
  const decide = makeForceDecider({ ...base, token: 's3cret-token', guessesPerMinute: 2, now: () => now });
  const h = (v: string) => ({ 'x-debug-tracing': v });
  t.deepEqual(decide(h('a'), '192.0.2.1'), { refused: 'bad_token' });
  t.deepEqual(decide(h('b'), '192.0.2.1'), { refused: 'bad_token' });
  t.deepEqual(decide(h('s3cret-token'), '192.0.2.1'), { refused: 'guess_limited' });
  t.deepEqual(decide(h('s3cret-token'), '192.0.2.2'), { forced: 'token', refused: undefined }, 'another client');
  t.deepEqual(decide({ 'x-b3-flags': '1', ...h('c') }, '192.0.2.1'), { forced: 'b3_debug', refused: 'guess_limited' }, 'B3 debug is no secret');
  now += 30_000;
  t.deepEqual(decide(h('s3cret-token'), '192.0.2.1'), { forced: 'token', refused: undefined }, 'the budget refills');
});
