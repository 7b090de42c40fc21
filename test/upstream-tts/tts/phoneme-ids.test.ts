import test from 'ava';
import { phonemesToIds } from '../../../upstream-tts/src/tts/phoneme-ids.js';
import { loadVoiceConfig } from '../../../upstream-tts/src/tts/voice.js';
import { voicePath } from '../helpers.js';

test('"Test 1." maps to the ids piper1 tests expect (BOS, PAD after every phoneme, EOS)', async (t) => {
  const voice = loadVoiceConfig(await voicePath());
  // piper1 tests/test_piper.py, en-us "Test 1.".
  const phonemes = ['t', 'ˈ', 'ɛ', 's', 't', ' ', 'w', 'ˈ', 'ʌ', 'n', '.'];
  const { ids, missing } = phonemesToIds(phonemes, voice.phonemeIdMap);
  t.deepEqual(ids, [1, 0, 32, 0, 120, 0, 61, 0, 31, 0, 32, 0, 3, 0, 35, 0, 120, 0, 102, 0, 26, 0, 10, 0, 2]);
  t.deepEqual(missing, []);
});

test('a phoneme the voice has no id for is skipped and reported, as Piper does', (t) => {
  const map = new Map<string, readonly number[]>([['^', [1]], ['$', [2]], ['_', [0]], ['a', [14]]]);
  const { ids, missing } = phonemesToIds(['a', '☃', 'a'], map);
  t.deepEqual(ids, [1, 0, 14, 0, 14, 0, 2]);
  t.deepEqual(missing, ['☃']);
});
