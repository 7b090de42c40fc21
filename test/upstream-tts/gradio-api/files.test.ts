import test from 'ava';
import { parseRange } from '../../../upstream-tts/src/gradio-api/files.js';

test('single byte ranges: closed, open-ended, suffix, clamped end', (t) => {
  t.deepEqual(parseRange('bytes=0-43', 1000), { start: 0, end: 43 });
  t.deepEqual(parseRange('bytes=40-', 1000), { start: 40, end: 999 });
  t.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  t.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  t.deepEqual(parseRange('bytes=990-5000', 1000), { start: 990, end: 999 });
});

test('past the end is unsatisfiable; absent, malformed or multi-range headers mean the whole file', (t) => {
  t.is(parseRange('bytes=1000-', 1000), 'unsatisfiable');
  t.is(parseRange('bytes=-0', 1000), 'unsatisfiable');
  t.is(parseRange(undefined, 1000), undefined);
  t.is(parseRange('bytes=5-2', 1000), undefined);
  t.is(parseRange('items=0-1', 1000), undefined);
  t.is(parseRange('bytes=0-1,5-6', 1000), undefined);
});
