import test from 'ava';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVoiceConfig } from '../../../upstream-tts/src/tts/voice.js';
import { voicePath } from '../helpers.js';

test('the PyPI voice: en_US-joe-medium, 22050 Hz, espeak en-us, its inference defaults', async (t) => {
  const voice = loadVoiceConfig(await voicePath());
  t.is(voice.name, 'en_US-joe-medium');
  t.is(voice.sampleRate, 22050);
  t.is(voice.espeakVoice, 'en-us');
  t.is(voice.numSpeakers, 1);
  t.deepEqual([voice.noiseScale, voice.lengthScale, voice.noiseW], [0.667, 1, 0.8]);
  t.deepEqual(voice.phonemeIdMap.get('^'), [1]);
});

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'tts-voice-'));
}

test('missing model, missing config, broken JSON and missing keys each say which file and what', async (t) => {
  const dir = scratch();
  const model = join(dir, 'v.onnx');
  t.throws(() => loadVoiceConfig(model), { message: /voice model not found: .*v\.onnx/ });
  writeFileSync(model, 'not really onnx');
  t.throws(() => loadVoiceConfig(model), { message: /voice config not found: .*v\.onnx\.json/ });
  writeFileSync(`${model}.json`, '{"audio": ');
  t.throws(() => loadVoiceConfig(model), { message: /not valid JSON/ });
  writeFileSync(`${model}.json`, JSON.stringify({ audio: { sample_rate: 22050 }, espeak: { voice: 'en-us' } }));
  t.throws(() => loadVoiceConfig(model), { message: /phoneme_id_map missing/ });
  writeFileSync(`${model}.json`, JSON.stringify({ audio: { sample_rate: 22050 }, espeak: { voice: 'en-us' }, phoneme_type: 'pinyin', phoneme_id_map: {} }));
  t.throws(() => loadVoiceConfig(model), { message: /phoneme_type "pinyin" is not supported/ });
  const err = t.throws(() => loadVoiceConfig(join(dir, 'nope.onnx')));
  t.is((err as { code?: string }).code, 'voice_invalid');
});

test('an empty model file is refused before ORT sees it', async (t) => {
  const dir = scratch();
  const model = join(dir, 'empty.onnx');
  writeFileSync(model, '');
  copyFileSync(`${await voicePath()}.json`, `${model}.json`);
  t.throws(() => loadVoiceConfig(model), { message: /voice model is empty/ });
});
