import test from 'ava';
import { floatToPcm16 } from '../../../upstream-tts/src/tts/audio.js';

test('peak-normalised to full scale, truncated toward zero like numpy astype(int16)', (t) => {
  const pcm = floatToPcm16(Float32Array.of(0.5, -0.25, 0.1, 0, -0.5));
  t.deepEqual([...pcm], [32767, -16383, 6553, 0, -32767]);
});

test('near-silence (peak below 1e-8) becomes zeros instead of amplified noise', (t) => {
  t.deepEqual([...floatToPcm16(Float32Array.of(1e-9, -5e-9, 0))], [0, 0, 0]);
});

test('never wraps: the extreme samples stay at +-32767', (t) => {
  const pcm = floatToPcm16(Float32Array.of(3.5, -3.5, 1.75));
  t.deepEqual([...pcm], [32767, -32767, 16383]);
});
