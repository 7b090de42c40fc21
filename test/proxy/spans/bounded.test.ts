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

test('cleanText: equal to the regular-expression definition on random text, near every edge of the unsafe ranges', (t) => {
  const edges = [0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x9f, 0xa0, 0x2027, 0x2028, 0x2029, 0x202a, 0x202e, 0x202f, 0x2065, 0x2066, 0x2069, 0x206a, 0xd83d, 0xde00];
  const ch = fc.oneof(fc.constantFrom(...edges.map((c) => String.fromCharCode(c))), fc.string({ minLength: 1, maxLength: 1, unit: "binary" }));
  const definition = (s: string, max: number) => s.slice(0, max).replace(new RegExp(UNSAFE.source, 'g'), '_');
  fc.assert(fc.property(fc.array(ch, { maxLength: 40 }).map((a) => a.join('')), fc.integer({ min: 0, max: 45 }), (s, max) =>
    cleanText(s, max) === definition(s, max) && cleanText(s) === definition(s, MAX_VALUE_CHARS)), { numRuns: 5000, seed: 20261205 });
  t.pass();
});
