// One sentence of phoneme ids through the voice model: build Piper's input tensors, run, and turn
// the float output into PCM. Runs inside a worker thread (session.run blocks its thread).
import ort from 'onnxruntime-node';
import { TtsError } from '../errors.js';
import { floatToPcm16 } from './audio.js';
import type { VoiceConfig } from './voice.js';

export interface Scales {
  readonly noiseScale: number;
  /** Phoneme duration multiplier: above 1 is slower speech. */
  readonly lengthScale: number;
  readonly noiseW: number;
}

export interface SentenceAudio {
  readonly pcm: Int16Array;
  /** Wall time of session.run alone, in ms. */
  readonly inferenceMs: number;
}

export async function synthesizeIds(
  session: ort.InferenceSession, voice: VoiceConfig, ids: readonly number[], scales: Scales,
): Promise<SentenceAudio> {
  const feeds: Record<string, ort.Tensor> = {
    input: new ort.Tensor('int64', BigInt64Array.from(ids, (i) => BigInt(i)), [1, ids.length]),
    input_lengths: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids.length)), [1]),
    // Order fixed by Piper's export: noise_scale, length_scale, noise_w.
    scales: new ort.Tensor('float32', Float32Array.of(scales.noiseScale, scales.lengthScale, scales.noiseW), [3]),
  };
  // Only multi-speaker exports have a `sid` input; single-speaker ones must not get it.
  if (session.inputNames.includes('sid')) {
    feeds.sid = new ort.Tensor('int64', BigInt64Array.of(BigInt(voice.numSpeakers > 1 ? voice.defaultSpeakerId : 0)), [1]);
  }
  const started = performance.now();
  let output: ort.Tensor | undefined;
  try {
    const result = await session.run(feeds);
    output = result[session.outputNames[0]!];
  } catch (err) {
    throw new TtsError('inference_failed', `inference failed: ${(err as Error).message}`);
  }
  const inferenceMs = performance.now() - started;
  // Real voices return [1,1,1,T] and some test voices [1,1,T]: the samples are the whole buffer.
  if (!output || !(output.data instanceof Float32Array)) throw new TtsError('inference_failed', 'model returned no float32 audio');
  return { pcm: floatToPcm16(output.data), inferenceMs };
}
