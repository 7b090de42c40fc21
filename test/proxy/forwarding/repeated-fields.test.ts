// Node keeps only the first line of some repeated fields; restoreRepeatedFields puts every line
// back (nginx forwards each line as it came). Held to a model written out from that rule: a
// first-only field that came more than once, and is still present, gets all its lines in order.
import test from 'ava';
import fc from 'fast-check';
import { restoreRepeatedFields } from '../../../proxy/src/forwarding/repeated-fields.js';

const FIRST_ONLY = ['age', 'authorization', 'content-type', 'etag', 'expires', 'from', 'if-modified-since', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent'];

test('a repeated first-only field gets every line back; a removed one stays removed', (t) => {
  const raw = ['Content-Type', 'a', 'ETag', '"1"', 'content-type', 'b', 'Server', 'x', 'server', 'y', 'X-Other', '1', 'x-other', '2'];
  const headers: Record<string, string | string[]> = { 'content-type': 'a', etag: '"1"', 'x-other': '1, 2' };
  restoreRepeatedFields(headers, raw);
  t.deepEqual(headers, { 'content-type': ['a', 'b'], etag: '"1"', 'x-other': '1, 2' });
});

test('property: restoring is the model, for any mix of names, cases and repeats', (t) => {
  const name = fc.oneof(fc.constantFrom(...FIRST_ONLY), fc.constantFrom('x-a', 'set-cookie', 'date')).chain((n) => fc.constantFrom(n, n.toUpperCase(), n[0]!.toUpperCase() + n.slice(1)));
  fc.assert(fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 4 })), { maxLength: 12 }), fc.func(fc.boolean()), (lines, keeps) => {
    const raw = lines.flat();
    const headers: Record<string, string | string[]> = {};
    for (const [n, v] of lines) if (headers[n.toLowerCase()] === undefined && keeps(n.toLowerCase())) headers[n.toLowerCase()] = v;
    const expected: Record<string, string | string[]> = { ...headers };
    for (const n of FIRST_ONLY) {
      const values = lines.filter(([m]) => m.toLowerCase() === n).map(([, v]) => v);
      if (values.length > 1 && expected[n] !== undefined) expected[n] = values;
    }
    restoreRepeatedFields(headers, raw);
    t.deepEqual(headers, expected);
  }), { numRuns: 500 });
});
