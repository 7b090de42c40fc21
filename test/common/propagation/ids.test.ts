import test from 'ava';
import fc from 'fast-check';
import { isB3TraceId, isSpanId, isTraceId128 } from '../../../common/propagation/ids.js';

// The definitions, as the specs word them; the checks must agree with them on every string.
const lowerHex = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);
const notZero = (s: string) => !/^0+$/.test(s);
const spec = {
  span: (s: string) => lowerHex(16).test(s) && notZero(s),
  trace128: (s: string) => lowerHex(32).test(s) && notZero(s),
  b3: (s: string) => (lowerHex(16).test(s) || lowerHex(32).test(s)) && notZero(s),
};

test('ids: the checks agree with the definitions on random strings', (t) => {
  const hexish = fc.array(fc.constantFrom(...'0123456789abcdefABCDEFgz-\n\u0660'.split('')), { minLength: 0, maxLength: 34 }).map((a) => a.join(''));
  const zeros = fc.integer({ min: 0, max: 34 }).map((n) => '0'.repeat(n));
  fc.assert(fc.property(fc.oneof(hexish, zeros, fc.string()), (s) =>
    isSpanId(s) === spec.span(s) && isTraceId128(s) === spec.trace128(s) && isB3TraceId(s) === spec.b3(s)), { numRuns: 5000, seed: 20261205 });
  t.pass();
});

test('ids: the edges', (t) => {
  t.true(isSpanId('00f067aa0ba902b7'));
  t.false(isSpanId('0000000000000000'));
  t.false(isSpanId('00F067AA0BA902B7'), 'upper case');
  t.false(isSpanId('00f067aa0ba902b7\n'), 'a trailing newline');
  t.true(isTraceId128('4bf92f3577b34da6a3ce929d0e0e4736'));
  t.true(isB3TraceId('4bf92f3577b34da6'));
  t.false(isB3TraceId('4bf92f3577b34da6a3ce929d0e0e473'), '31 characters');
  for (const v of [undefined, null, 5, ['00f067aa0ba902b7']]) t.false(isSpanId(v));
});
