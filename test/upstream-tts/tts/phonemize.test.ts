import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/proc.js';
import { CALLS_PER_INSTANCE, Phonemizer } from '../../../upstream-tts/src/tts/phonemize.js';
import { phonemesToIds } from '../../../upstream-tts/src/tts/phoneme-ids.js';
import { loadVoiceConfig } from '../../../upstream-tts/src/tts/voice.js';
import { voicePath } from '../helpers.js';

interface Vector { text: string; phonemes: string[]; phoneme_ids: number[] }

// rhasspy/piper etc/test_sentences/test_en-us.jsonl, copied unchanged (see the fixture's README).
const vectors: Vector[] = readFileSync(join(repoRoot, 'test', 'fixtures', 'piper', 'test_en-us.jsonl'), 'utf8')
  .trim().split('\n').map((l) => JSON.parse(l) as Vector);

const phonemizer = new Phonemizer();

test('the fixture holds Piper\'s 7 en-us vectors', (t) => {
  t.is(vectors.length, 7);
  for (const v of vectors) t.is(v.phoneme_ids.filter((i) => i === 2).length, 1, v.text);
});

for (const [i, v] of vectors.entries()) {
  test.serial(`phonemes and ids equal Piper's en-us vector ${i + 1}`, async (t) => {
    const voice = loadVoiceConfig(await voicePath());
    const { sentences } = await phonemizer.phonemize(v.text, voice.espeakVoice);
    t.deepEqual(sentences.flat(), v.phonemes);
    // Ids come from the real voice's own phoneme_id_map, not from the phonemizer.
    const ids = sentences.flatMap((s) => phonemesToIds(s, voice.phonemeIdMap).ids);
    t.deepEqual(ids, v.phoneme_ids);
  });
}

test.serial('sentences split where Piper splits them, terminators and clause punctuation kept', async (t) => {
  const { sentences } = await phonemizer.phonemize('Dr. Smith paid $3.50 on Jan. 5th, 2024. Really?! Yes.', 'en-us');
  const text = sentences.map((s) => s.join(''));
  // piper-phonemize ends a sentence after "Dr." and "Jan." (espeak treats them as full stops).
  t.is(text.length, 5);
  t.true(text[0]!.endsWith('.'));
  t.true(text[2]!.includes(', '), 'a comma clause keeps ", "');
  t.true(text[3]!.endsWith('?'));
  t.deepEqual(sentences.flat().filter((p) => p === '.').length, 4);
});

test.serial('empty and punctuation-only text give no sentence', async (t) => {
  t.deepEqual((await phonemizer.phonemize('', 'en-us')).sentences, []);
  t.deepEqual((await phonemizer.phonemize('...', 'en-us')).sentences, []);
});

test.serial('the wasm instance is replaced before it aborts: 3 x its budget of calls all succeed', async (t) => {
  const local = new Phonemizer();
  const calls = CALLS_PER_INSTANCE * 3;
  for (let i = 0; i < calls; i++) {
    const { sentences } = await local.phonemize(`Call number ${i}.`, 'en-us');
    if (sentences.length !== 1) t.fail(`call ${i}: ${JSON.stringify(sentences)}`);
  }
  t.is(local.instances, 3);
});

test.serial('an unknown espeak voice is a clear error, and the phonemizer keeps working', async (t) => {
  const local = new Phonemizer();
  const err = await t.throwsAsync(local.phonemize('Hello.', 'xx-nonexistent'));
  t.is((err as { code?: string }).code, 'phonemizer_failed');
  t.regex(err!.message, /xx-nonexistent/);
  t.is((await local.phonemize('Hello.', 'en-us')).sentences.length, 1);
});
