import test from 'ava';
import fc from 'fast-check';
import { JsonBytes } from '../../../proxy/src/export/json-bytes.js';

// The oracle: what the encoder wrote before, text through JSON.stringify, then UTF-8 once.
const oracle = (parts: readonly (string | number)[]): Buffer =>
  Buffer.from(parts.map((p) => (typeof p === 'number' ? String(p) : JSON.stringify(p))).join(','), 'utf8');

function written(w: JsonBytes, parts: readonly (string | number)[]): Buffer {
  w.reset();
  parts.forEach((p, i) => {
    if (i) w.raw(',');
    if (typeof p === 'number') w.raw(String(p));
    else w.string(p);
  });
  return Buffer.from(w.take());
}

test('strings are written byte for byte as JSON.stringify then UTF-8 writes them, whatever their characters', (t) => {
  const w = new JsonBytes(16);
  // Every escape class: quote, backslash, controls, DEL, Latin-1, BMP, astral, lone surrogates, line separators.
  const cases = ['', 'plain', 'a"b', 'back\\slash', '\n\r\t\b\f\u0000\u001f', '\u007f', 'é', '中文', '😀', '\ud800', 'x\udc00y', '\u2028\u2029', '"'.repeat(100)];
  t.deepEqual(written(w, cases), oracle(cases));
  fc.assert(fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.integer(), fc.double({ noNaN: true }))), (parts) => {
    t.deepEqual(written(w, parts), oracle(parts));
  }), { numRuns: 500 });
});

test('numbers are written as JSON.stringify writes them, integers digit by digit', (t) => {
  const w = new JsonBytes(4);
  const cases = [0, 7, 10, 99, 100, 1796453400626000, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -1, -0, 1.5, 1e21, NaN, Infinity, -Infinity];
  for (const n of cases) {
    w.reset();
    w.number(n);
    t.is(Buffer.from(w.take()).toString(), JSON.stringify(n), String(n));
  }
  fc.assert(fc.property(fc.oneof(fc.maxSafeNat(), fc.integer(), fc.double()), (n) => {
    w.reset();
    w.number(n);
    t.is(Buffer.from(w.take()).toString(), JSON.stringify(n));
  }), { numRuns: 2000 });
});

test('the buffer grows for a value larger than it (each escaped character can take six bytes)', (t) => {
  const w = new JsonBytes(8);
  const big = '\u0001'.repeat(5000) + 'é'.repeat(5000) + 'a'.repeat(70_000);
  t.deepEqual(written(w, [big, 'after']), oracle([big, 'after']));
});

test('take() is a copy: the next value written does not change the last one taken', (t) => {
  const w = new JsonBytes(64);
  w.string('first');
  const first = w.take();
  w.reset();
  w.string('second');
  t.is(Buffer.from(first).toString(), '"first"');
  t.is(Buffer.from(w.take()).toString(), '"second"');
});

test('a buffer grown for one huge value is let go at the next reset, and writing goes on correctly', (t) => {
  const w = new JsonBytes(64);
  const huge = 'x'.repeat(1 << 20);
  w.string(huge);
  t.is(w.take().length, huge.length + 2);
  t.true((w as unknown as { buf: Buffer }).buf.length >= huge.length);
  w.reset();
  t.true((w as unknown as { buf: Buffer }).buf.length < 1024, 'back to its initial size');
  w.string('after');
  t.is(Buffer.from(w.take()).toString(), '"after"');
});
