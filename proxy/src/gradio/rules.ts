// Input rules (design §5): checks on what a submission carries, e.g. prompt audio longer than a
// limit. They annotate the prediction; only gate mode turns a violation into a 422.
import * as A from '../spans/attributes.js';
import type { GradioOptions } from './context.js';
import type { InputFacts } from './inputs.js';

export interface Violation {
  readonly rule: string;
  readonly limit: number;
  readonly actual: number;
}

export function checkRules(facts: InputFacts, o: Pick<GradioOptions, 'maxAudioS' | 'maxTextChars'>): Violation[] {
  const out: Violation[] = [];
  if (o.maxAudioS > 0) {
    const longest = Math.max(0, ...facts.audio.map((a) => a.durationS ?? 0));
    if (longest > o.maxAudioS) out.push({ rule: A.ErrorType.INVALID_INPUT_DURATION, limit: o.maxAudioS, actual: Math.round(longest * 1000) / 1000 });
  }
  if (o.maxTextChars > 0) {
    const longest = Math.max(0, ...facts.textLengths);
    if (longest > o.maxTextChars) out.push({ rule: A.ErrorType.INVALID_TEXT_LENGTH, limit: o.maxTextChars, actual: longest });
  }
  return out;
}
