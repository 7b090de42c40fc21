import test from 'ava';
import fc from 'fast-check';
import { boundedAttributes, cleanText, MAX_VALUE_CHARS } from '../../../proxy/src/spans/bounded.js';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('every string value is cleaned and bounded in place; other values and clean strings stay as they are', (t) => {
  const list = ['a'];
  const attrs = { ua: 'ua\u0085x\ty', host: 'h\u202ex', long: 'z'.repeat(MAX_VALUE_CHARS + 10), clean: 'GET /x', n: 3, list };
  const out = boundedAttributes(attrs);
  t.is(out, attrs, 'the same object');
  t.deepEqual(out, { ua: 'ua_x_y', host: 'h_x', long: 'z'.repeat(MAX_VALUE_CHARS), clean: 'GET /x', n: 3, list });
  t.is(out.list, list);
});

test('property: a cleaned value has no unsafe character, is at most the bound, and equals cleanText of the input', (t) => {
  fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.integer())), (input) => {
    const attrs = { ...input };
    boundedAttributes(attrs);
    t.deepEqual(Object.keys(attrs), Object.keys(input));
    for (const [k, v] of Object.entries(input)) {
      const got = attrs[k];
      if (typeof v !== 'string') { t.is(got, v); continue; }
      t.is(got, cleanText(v));
      t.false(UNSAFE.test(got as string));
      t.true((got as string).length <= MAX_VALUE_CHARS);
    }
  }), { numRuns: 300 });
});
