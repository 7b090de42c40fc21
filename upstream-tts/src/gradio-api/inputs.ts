// The synthesize endpoint's inputs, in Gradio's positional order: text, speed, noise_scale,
// noise_w. Values are checked here, before anything is queued for a thread.
import { TtsError } from '../errors.js';
import { checkText } from '../tts/text-check.js';
import type { Scales } from '../tts/synthesize.js';
import type { VoiceConfig } from '../tts/voice.js';

/** Slider ranges, as /config and /gradio_api/info advertise them. */
export const SPEED_RANGE = { min: 0.25, max: 4, step: 0.05, default: 1 } as const;
export const NOISE_RANGE = { min: 0, max: 1, step: 0.001 } as const;

/** Parameter names, in order: the positional `data` array and the /call/v2 keyword body. */
export const PARAMETER_NAMES = ['text', 'speed', 'noise_scale', 'noise_w'] as const;

export interface SynthesisParams {
  readonly text: string;
  readonly speed: number;
  readonly scales: Scales;
}

function numberIn(value: unknown, name: string, range: { min: number; max: number }, fallback: number): number {
  // A missing trailing value, or an explicit null, takes the default (the clients send defaults
  // for parameters the caller left out; raw HTTP callers may omit them).
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TtsError('input_invalid', `${name} must be a number`);
  if (value < range.min || value > range.max) {
    throw new TtsError('input_invalid', `${name} must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return value;
}

export function parseInputs(data: readonly unknown[], voice: VoiceConfig, maxChars: number): SynthesisParams {
  const [text, speed, noiseScale, noiseW] = data;
  if (typeof text !== 'string') throw new TtsError('input_invalid', 'text must be a string');
  checkText(text, voice.espeakVoice, { maxChars });
  const s = numberIn(speed, 'speed', SPEED_RANGE, SPEED_RANGE.default);
  return {
    text,
    speed: s,
    scales: {
      noiseScale: numberIn(noiseScale, 'noise_scale', NOISE_RANGE, voice.noiseScale),
      // Speed is relative to the voice's own pace: twice as fast halves its length scale.
      lengthScale: voice.lengthScale / s,
      noiseW: numberIn(noiseW, 'noise_w', NOISE_RANGE, voice.noiseW),
    },
  };
}

/** /call/v2 takes keyword arguments; missing ones take their defaults. */
export function keywordsToData(body: Record<string, unknown>): unknown[] {
  return PARAMETER_NAMES.map((name) => body[name]);
}
