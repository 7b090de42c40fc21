import test from 'ava';
import { diff } from '../../../upstream-tts/src/gradio-api/diff.js';

const file = (n: number) => ({ path: `/tmp/${n}/audio.wav`, url: `http://h/gradio_api/file=/tmp/${n}/audio.wav`, size: null, orig_name: 'audio.wav', meta: { _type: 'gradio.FileData' } });

test('a new FileData becomes key-level replaces, as Gradio 6.31 sent for its own generator', (t) => {
  t.deepEqual(diff(file(1), file(2)), [
    ['replace', ['path'], '/tmp/2/audio.wav'],
    ['replace', ['url'], 'http://h/gradio_api/file=/tmp/2/audio.wav'],
  ]);
});

test('unchanged values give no edits; strings that grow are appended', (t) => {
  t.deepEqual(diff(file(1), file(1)), []);
  t.deepEqual(diff('Hel', 'Hello'), [['append', [], 'lo']]);
  t.deepEqual(diff('Hello', 'Help'), [['replace', [], 'Help']]);
});

test('type changes replace; list growth adds; list shrink deletes with shifted indices', (t) => {
  t.deepEqual(diff(null, file(1)), [['replace', [], file(1)]]);
  t.deepEqual(diff(1, 1.5), [['replace', [], 1.5]]);
  t.deepEqual(diff([1], [1, 2, 3]), [['add', [1], 2], ['add', [2], 3]]);
  t.deepEqual(diff([1, 2, 3], [1]), [['delete', [1], null], ['delete', [1], null]]);
  t.deepEqual(diff({ a: 1, b: 2 }, { a: 1, c: 3 }), [['delete', ['b'], null], ['add', ['c'], 3]]);
});
