// Positional `data[]` → metadata-only attributes (design §3). Text gives its length and script,
// never its content; audio gives header facts; a choice or number gives its value only when it
// is one of the declared choices or a number; anything else gives its JSON type.
import type { Attributes } from '@opentelemetry/api';
import type { AudioMeta } from '../audio/probe.js';
import * as A from '../spans/attributes.js';
import type { Dependency, InputComponent } from './app-config.js';
import { isLongString, type Captured } from './json-capture.js';

const CHOICE_TYPES = new Set(['radio', 'dropdown', 'checkboxgroup', 'checkbox', 'slider', 'number']);
const TEXT_TYPES = new Set(['textbox', 'textarea', 'text', 'markdown', 'code']);

/** Per-input facts the rules need, alongside the attributes. */
export interface InputFacts {
  readonly attributes: Attributes;
  readonly textLengths: readonly number[];
  readonly audio: readonly AudioMeta[];
  /** Inputs that reference an audio we could not describe (e.g. an upload we never saw). */
  readonly unresolvedFiles: number;
}

const SCRIPTS: readonly [string, RegExp][] = [
  ['han', /\p{Script=Han}/u], ['latin', /\p{Script=Latin}/u], ['cyrillic', /\p{Script=Cyrillic}/u],
  ['arabic', /\p{Script=Arabic}/u], ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u], ['hangul', /\p{Script=Hangul}/u],
  ['devanagari', /\p{Script=Devanagari}/u], ['greek', /\p{Script=Greek}/u], ['hebrew', /\p{Script=Hebrew}/u], ['thai', /\p{Script=Thai}/u],
];

/** Dominant writing system of the letters in `text` (≥ 80% of them), else `mixed`; `none` without letters. */
const LETTER = /\p{L}/u;

export function scriptClass(text: string): string {
  const counts = new Map<string, number>();
  let letters = 0;
  for (const ch of text.slice(0, 4096)) {
    // ASCII first, without a regex: in ASCII the letters are A-Z and a-z, all Latin.
    const c = ch.charCodeAt(0);
    let s: string;
    if (c < 0x80) {
      if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) continue;
      s = 'latin';
    } else {
      if (!LETTER.test(ch)) continue;
      s = SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'other';
    }
    letters++;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  if (!letters) return 'none';
  const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  return n / letters >= 0.8 ? top : 'mixed';
}

/** Characters as Python's len() counts them (code points), which is what app authors limit. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Positional inputs described one by one when the schema does not say how many there are. */
export const MAX_DESCRIBED_INPUTS = 32;

type Obj = { [k: string]: Captured };
const isObj = (v: Captured | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLongString(v);

/** A FileData (4.x+: `path`; 3.x: `name` + `is_file`) or a 3.x inline data URL dict. */
export function filePathOf(v: Captured | undefined): string | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v.path === 'string') return v.path;
  if (typeof v.name === 'string' && v.is_file === true) return v.name;
  return undefined;
}

export function dataUrlOf(v: Captured | undefined): { head: string; length: number } | undefined {
  const d = isObj(v) ? v.data : v;
  if (isLongString(d) && d.head.startsWith('data:')) return { head: d.head, length: d.length };
  if (typeof d === 'string' && d.startsWith('data:')) return { head: d, length: d.length };
  return undefined;
}

function jsonType(v: Captured): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (isLongString(v)) return 'string';
  return typeof v;
}

export interface InputResolvers {
  readonly fileMeta: (path: string) => AudioMeta | undefined;
  readonly dataUrlMeta: (head: string, length: number) => Promise<AudioMeta | undefined>;
}

export function audioAttributes(prefix: 'audio.input' | 'audio.output', m: AudioMeta): Attributes {
  const out: Attributes = { [`${prefix}.format`]: m.format, [`${prefix}.bytes`]: m.bytes };
  if (m.durationS !== undefined) out[`${prefix}.duration_s`] = Math.round(m.durationS * 1000) / 1000;
  if (m.sampleRate !== undefined) out[`${prefix}.sample_rate`] = m.sampleRate;
  if (prefix === 'audio.input') {
    if (m.channels !== undefined) out[A.ATTR_AUDIO_INPUT_CHANNELS] = m.channels;
    if (m.codec !== undefined) out[A.ATTR_AUDIO_INPUT_CODEC] = m.codec;
  }
  return out;
}

/**
 * `data` may be positional (an array, matched to `dep.inputs`) or keyword (`/call/v2`, an object
 * keyed by parameter name). Without a known dependency the names are `arg<i>` and types guessed.
 */
export async function describeInputs(data: Captured | undefined, dep: Dependency | undefined, r: InputResolvers): Promise<InputFacts> {
  const attributes: Attributes = {};
  const textLengths: number[] = [];
  const audio: AudioMeta[] = [];
  let unresolvedFiles = 0;
  const entries: [InputComponent, Captured][] = [];
  let count = 0;
  if (Array.isArray(data)) {
    count = data.length;
    // The client decides how many values it sends; only so many get attributes of their own.
    data.slice(0, Math.max(MAX_DESCRIBED_INPUTS, dep?.inputs.length ?? 0)).forEach((v, i) => entries.push([dep?.inputs[i] ?? { type: 'unknown', name: `arg${i}` }, v]));
  } else if (isObj(data)) {
    // Keyword inputs (/call/v2): a key names an attribute only if the schema declares it.
    for (const [k, v] of Object.entries(data)) {
      count++;
      const comp = dep?.inputs.find((c) => c.name === k);
      if (comp) entries.push([comp, v]);
    }
  }
  attributes[A.ATTR_GRADIO_INPUT_COUNT] = count;
  for (const [comp, v] of entries) {
    const key = `${A.GRADIO_INPUT_PREFIX}${comp.name}`;
    if (v === null || comp.type === 'state') continue;
    const text = typeof v === 'string' ? v : undefined;
    if (text !== undefined && (TEXT_TYPES.has(comp.type) || (comp.type === 'unknown' && !text.startsWith('data:')))) {
      const len = codePointLength(text);
      textLengths.push(len);
      attributes[`${key}.length`] = len;
      attributes[`${key}.script`] = scriptClass(text);
      continue;
    }
    if (isLongString(v) && !v.head.startsWith('data:')) {
      // A text beyond the capture limit: its length in UTF-16 units is all we have.
      textLengths.push(v.length);
      attributes[`${key}.length`] = v.length;
      attributes[`${key}.script`] = scriptClass(v.head);
      continue;
    }
    const path = filePathOf(v);
    const dataUrl = path ? undefined : dataUrlOf(v);
    if (path || dataUrl) {
      const meta = path ? r.fileMeta(path) : await r.dataUrlMeta(dataUrl!.head, dataUrl!.length);
      attributes[`${key}.type`] = 'file';
      if (meta) audio.push(meta);
      else unresolvedFiles++;
      continue;
    }
    if (typeof v === 'number' || typeof v === 'boolean') {
      attributes[`${key}.value`] = v;
      continue;
    }
    if (text !== undefined && CHOICE_TYPES.has(comp.type) && comp.choices?.includes(text)) {
      attributes[`${key}.value`] = text;
      continue;
    }
    attributes[`${key}.type`] = jsonType(v);
  }
  // The first audio input is the prompt in TTS apps; more are rare and only counted.
  if (audio[0]) Object.assign(attributes, audioAttributes('audio.input', audio[0]));
  return { attributes, textLengths, audio, unresolvedFiles };
}
