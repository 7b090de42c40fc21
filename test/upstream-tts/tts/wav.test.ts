import test from 'ava';
import { encodeWav, parseWav, wavSamples } from '../../../upstream-tts/src/tts/wav.js';

test('a canonical 44-byte header that parses back, samples little-endian', (t) => {
  const wav = encodeWav([Int16Array.of(1, -2, 32767), Int16Array.of(-32768)], 22050);
  t.is(wav.length, 44 + 8);
  const info = parseWav(wav);
  t.deepEqual(info, { sampleRate: 22050, channels: 1, bitsPerSample: 16, dataBytes: 8, seconds: 8 / 2 / 22050 });
  t.deepEqual([...wavSamples(wav)], [1, -2, 32767, -32768]);
  t.is(wav.readUInt32LE(4), wav.length - 8);
});

test('silence goes only between chunks, as whole samples', (t) => {
  const wav = encodeWav([Int16Array.of(5), Int16Array.of(6), Int16Array.of(7)], 16000, 2);
  t.deepEqual([...wavSamples(wav)], [5, 0, 0, 6, 0, 0, 7]);
});

test('parseWav rejects inconsistent sizes', (t) => {
  const wav = encodeWav([Int16Array.of(1, 2)], 16000);
  t.throws(() => parseWav(wav.subarray(0, wav.length - 2)), { message: /RIFF size/ });
  const bad = Buffer.from(wav);
  bad.writeUInt32LE(999, 40);
  t.throws(() => parseWav(bad), { message: /data size/ });
});
