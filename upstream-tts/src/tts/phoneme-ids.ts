// Phonemes to model input ids, Piper's framing (piper1 phoneme_ids.py, piper-phonemize
// phoneme_ids.cpp): BOS, PAD, then every phoneme's ids followed by PAD, then EOS.
import type { VoiceConfig } from './voice.js';

const BOS = '^';
const EOS = '$';
const PAD = '_';

export interface PhonemeIds {
  readonly ids: readonly number[];
  /** Phonemes the voice has no id for; Piper skips them (with a warning), and so do we. */
  readonly missing: readonly string[];
}

export function phonemesToIds(phonemes: readonly string[], map: VoiceConfig['phonemeIdMap']): PhonemeIds {
  const pad = map.get(PAD)!;
  const ids: number[] = [...map.get(BOS)!, ...pad];
  const missing: string[] = [];
  for (const phoneme of phonemes) {
    const own = map.get(phoneme);
    if (!own) {
      missing.push(phoneme);
      continue;
    }
    ids.push(...own, ...pad);
  }
  ids.push(...map.get(EOS)!);
  return { ids, missing };
}
