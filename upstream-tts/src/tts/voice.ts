// A Piper voice is an ONNX model plus `<model>.onnx.json`. This module reads and checks the JSON
// (the model itself is checked by onnxruntime when a worker loads it), once per process/thread.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { TtsError } from '../errors.js';

/** The parts of a Piper voice config the worker uses (piper1 `PiperConfig.from_dict` keys). */
export interface VoiceConfig {
  /** File name without `.onnx`, e.g. `en_US-joe-medium`: what spans and the UI call the voice. */
  readonly name: string;
  readonly modelPath: string;
  readonly configPath: string;
  readonly sampleRate: number;
  readonly espeakVoice: string;
  readonly phonemeIdMap: ReadonlyMap<string, readonly number[]>;
  readonly numSpeakers: number;
  readonly defaultSpeakerId: number;
  readonly noiseScale: number;
  readonly lengthScale: number;
  readonly noiseW: number;
}

// Defaults when the config has no `inference` block (piper1 src/piper/config.py).
const DEFAULT_NOISE_SCALE = 0.667;
const DEFAULT_LENGTH_SCALE = 1.0;
const DEFAULT_NOISE_W = 0.8;

function fail(message: string): never {
  throw new TtsError('voice_invalid', message);
}

function finiteOr(value: unknown, fallback: number, what: string, path: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${path}: ${what} is not a number`);
  return value;
}

/** Reads `<modelPath>.json` (or `configPath`) and validates what synthesis depends on. */
export function loadVoiceConfig(modelPath: string, configPath = `${modelPath}.json`): VoiceConfig {
  let size: number;
  try {
    size = statSync(modelPath).size;
  } catch {
    fail(`voice model not found: ${modelPath}`);
  }
  if (size === 0) fail(`voice model is empty: ${modelPath}`);
  let raw: string;
  try {
    raw = readFileSync(configPath, 'utf8');
  } catch {
    fail(`voice config not found: ${configPath} (a Piper voice is <name>.onnx plus <name>.onnx.json)`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    fail(`voice config is not valid JSON: ${configPath}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(`voice config is not a JSON object: ${configPath}`);

  const phonemeType = json.phoneme_type ?? 'espeak';
  // Only espeak voices can be phonemized here (piper-phonemize's espeak path).
  if (phonemeType !== 'espeak') fail(`${configPath}: phoneme_type "${String(phonemeType)}" is not supported (only "espeak")`);
  const audio = json.audio as { sample_rate?: unknown } | undefined;
  const sampleRate = audio?.sample_rate;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 192000) {
    fail(`${configPath}: audio.sample_rate missing or invalid`);
  }
  const espeak = json.espeak as { voice?: unknown } | undefined;
  if (typeof espeak?.voice !== 'string' || espeak.voice === '') fail(`${configPath}: espeak.voice missing`);

  const rawMap = json.phoneme_id_map;
  if (typeof rawMap !== 'object' || rawMap === null || Array.isArray(rawMap)) fail(`${configPath}: phoneme_id_map missing`);
  const phonemeIdMap = new Map<string, readonly number[]>();
  for (const [phoneme, ids] of Object.entries(rawMap as Record<string, unknown>)) {
    if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i) && i >= 0)) fail(`${configPath}: phoneme_id_map["${phoneme}"] is not a list of ids`);
    phonemeIdMap.set(phoneme, Object.freeze([...(ids as number[])]));
  }
  // BOS, EOS and PAD frame every sentence (piper phoneme_ids.py); a map without them is not Piper's.
  for (const required of ['^', '$', '_']) {
    if (!phonemeIdMap.has(required)) fail(`${configPath}: phoneme_id_map has no "${required}"`);
  }

  const inference = (json.inference ?? {}) as Record<string, unknown>;
  const numSpeakers = finiteOr(json.num_speakers, 1, 'num_speakers', configPath);
  return Object.freeze({
    name: basename(modelPath).replace(/\.onnx$/, ''),
    modelPath,
    configPath,
    sampleRate,
    espeakVoice: espeak.voice,
    phonemeIdMap,
    numSpeakers,
    defaultSpeakerId: finiteOr(json.default_speaker_id, 0, 'default_speaker_id', configPath),
    noiseScale: finiteOr(inference.noise_scale, DEFAULT_NOISE_SCALE, 'inference.noise_scale', configPath),
    lengthScale: finiteOr(inference.length_scale, DEFAULT_LENGTH_SCALE, 'inference.length_scale', configPath),
    noiseW: finiteOr(inference.noise_w, DEFAULT_NOISE_W, 'inference.noise_w', configPath),
  });
}
