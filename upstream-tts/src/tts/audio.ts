// Model output (float32 in about [-1, 1]) to 16-bit PCM exactly as piper-tts does it
// (piper1 voice.py `synthesize` + `AudioChunk.audio_int16_array`): each sentence is peak-
// normalised on its own, clipped to [-1, 1], scaled by 32767 and truncated toward zero.
// Math.fround keeps every step in float32, as numpy does, so samples match bit for bit.

const MAX_WAV_VALUE = 32767;
// Below this peak a sentence is silence; dividing by it would only amplify noise (piper1).
const SILENCE_PEAK = 1e-8;

export function floatToPcm16(audio: Float32Array): Int16Array {
  let peak = 0;
  for (let i = 0; i < audio.length; i++) {
    const a = Math.abs(audio[i]!);
    if (a > peak) peak = a;
  }
  const out = new Int16Array(audio.length);
  if (peak < SILENCE_PEAK) return out;
  const fpeak = Math.fround(peak);
  for (let i = 0; i < audio.length; i++) {
    let x = Math.fround(audio[i]! / fpeak);
    if (x > 1) x = 1;
    else if (x < -1) x = -1;
    // Clamping first matters: an Int16Array store wraps out-of-range values instead of clipping.
    out[i] = Math.trunc(Math.fround(x * MAX_WAV_VALUE));
  }
  return out;
}
