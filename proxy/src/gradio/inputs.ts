// Positional `data[]` → metadata-only attributes (design §3). Text gives its length and script,
// never its content; audio gives header facts; a choice or number gives its value only when it
// is one of the declared choices or a number; anything else gives its JSON type.
import type { Attributes } from '@opentelemetry/api';
import type { AudioMeta } from '../audio/probe.js';
import * as A from '../spans/attributes.js';
import type { Dependency, InputComponent } from './app-config.js';
import { isLongString, type Captured, type LongString } from './json-capture.js';

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

const LETTER = /\p{L}/u;
const SCRIPT_WINDOW = 4096;

/** Dominant writing system of the letters in `text` (≥ 80% of them), else `mixed`; `none` without letters. */
export function scriptClass(text: string): string {
  // Only the first 4,096 UTF-16 units are read, and a surrogate pair cut at that edge is no letter.
  const end = Math.min(text.length, SCRIPT_WINDOW);
  let latin = 0;
  let letters = 0;
  let others: Map<string, number> | undefined;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    // ASCII without a regex or a string per character: its letters are A-Z and a-z, all Latin.
    if (c < 0x80) {
      if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
        latin++;
        letters++;
      }
      continue;
    }
    let ch: string;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        ch = text.slice(i, i + 2);
        i++;
      } else {
        ch = text[i]!;
      }
    } else {
      ch = text[i]!;
    }
    if (!LETTER.test(ch)) continue;
    const s = SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'other';
    letters++;
    if (s === 'latin') latin++;
    else (others ??= new Map()).set(s, (others.get(s) ?? 0) + 1);
  }
  if (!letters) return 'none';
  let top = 'latin';
  let n = latin;
  for (const [s, k] of others ?? []) if (k > n) [top, n] = [s, k];
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

type Entry = readonly [InputComponent, Captured];

/** How one input is described; the order of the tests is the order of precedence. */
type InputKind = 'skip' | 'text' | 'long-text' | 'file' | 'data-url' | 'value' | 'choice' | 'json-type';

function kindOf(comp: InputComponent, v: Captured): InputKind {
  if (v === null || comp.type === 'state') return 'skip';
  if (typeof v === 'string' && (TEXT_TYPES.has(comp.type) || (comp.type === 'unknown' && !v.startsWith('data:')))) return 'text';
  if (isLongString(v) && !v.head.startsWith('data:')) return 'long-text';
  if (filePathOf(v)) return 'file';
  if (dataUrlOf(v)) return 'data-url';
  if (typeof v === 'number' || typeof v === 'boolean') return 'value';
  if (typeof v === 'string' && CHOICE_TYPES.has(comp.type) && comp.choices?.includes(v)) return 'choice';
  return 'json-type';
}

/**
 * `data` may be positional (an array, matched to `dep.inputs`) or keyword (`/call/v2`, an object
 * keyed by parameter name). Without a known dependency the names are `arg<i>` and types guessed.
 */
function entriesOf(data: Captured | undefined, dep: Dependency | undefined): { count: number; entries: Entry[] } {
  const entries: Entry[] = [];
  let count = 0;
  if (Array.isArray(data)) {
    count = data.length;
    // The client decides how many values it sends; only so many get attributes of their own.
    const n = Math.min(data.length, Math.max(MAX_DESCRIBED_INPUTS, dep?.inputs.length ?? 0));
    for (let i = 0; i < n; i++) entries.push([dep?.inputs[i] ?? { type: 'unknown', name: `arg${i}` }, data[i]!]);
  } else if (isObj(data)) {
    // Keyword inputs (/call/v2): a key names an attribute only if the schema declares it.
    for (const k of Object.keys(data)) {
      count++;
      const comp = dep?.inputs.find((c) => c.name === k);
      if (comp) entries.push([comp, data[k]!]);
    }
  }
  return { count, entries };
}

interface InputKeys { readonly length: string; readonly script: string; readonly type: string; readonly value: string }

// An input's attribute keys, made once per input name: names are the schema's (or `arg<i>`), so
// there are few, and building four keys per input per submission was garbage on every join.
const INPUT_KEYS = new Map<string, InputKeys>();
const MAX_INPUT_KEYS = 1024;
function inputKeys(name: string): InputKeys {
  let k = INPUT_KEYS.get(name);
  if (k === undefined) {
    const key = `${A.GRADIO_INPUT_PREFIX}${name}`;
    k = { length: `${key}.length`, script: `${key}.script`, type: `${key}.type`, value: `${key}.value` };
    if (INPUT_KEYS.size < MAX_INPUT_KEYS) INPUT_KEYS.set(name, k);
  }
  return k;
}

function describeEntries(count: number, entries: readonly Entry[], kinds: readonly InputKind[], fileMeta: InputResolvers['fileMeta'], probed: readonly (AudioMeta | undefined)[]): InputFacts {
  const attributes: Attributes = {};
  const textLengths: number[] = [];
  const audio: AudioMeta[] = [];
  let unresolvedFiles = 0;
  attributes[A.ATTR_GRADIO_INPUT_COUNT] = count;
  for (let i = 0; i < entries.length; i++) {
    const [comp, v] = entries[i]!;
    const key = inputKeys(comp.name);
    switch (kinds[i]) {
      case 'skip':
        break;
      case 'text': {
        const len = codePointLength(v as string);
        textLengths.push(len);
        attributes[key.length] = len;
        attributes[key.script] = scriptClass(v as string);
        break;
      }
      case 'long-text': {
        // A text beyond the capture limit: its length in UTF-16 units is all we have.
        const l = v as LongString;
        textLengths.push(l.length);
        attributes[key.length] = l.length;
        attributes[key.script] = scriptClass(l.head);
        break;
      }
      case 'file':
      case 'data-url': {
        const meta = kinds[i] === 'file' ? fileMeta(filePathOf(v)!) : probed[i];
        attributes[key.type] = 'file';
        if (meta) audio.push(meta);
        else unresolvedFiles++;
        break;
      }
      case 'value':
      case 'choice':
        attributes[key.value] = v as string | number | boolean;
        break;
      default:
        attributes[key.type] = jsonType(v);
    }
  }
  // The first audio input is the prompt in TTS apps; more are rare and only counted.
  if (audio[0]) Object.assign(attributes, audioAttributes('audio.input', audio[0]));
  return { attributes, textLengths, audio, unresolvedFiles };
}

/**
 * The inputs' facts now, or undefined when an input is inline audio (a data URL), whose probe is
 * asynchronous: then `describeInputs` gives them. Most submissions reference uploads by path, and
 * describing them in the turn their request passed spares each one a chain of promises (issue 10).
 */
export function describeInputsNow(data: Captured | undefined, dep: Dependency | undefined, fileMeta: InputResolvers['fileMeta']): InputFacts | undefined {
  const { count, entries } = entriesOf(data, dep);
  const kinds = entries.map(([c, v]) => kindOf(c, v));
  if (kinds.includes('data-url')) return undefined;
  return describeEntries(count, entries, kinds, fileMeta, []);
}

export async function describeInputs(data: Captured | undefined, dep: Dependency | undefined, r: InputResolvers): Promise<InputFacts> {
  const { count, entries } = entriesOf(data, dep);
  const kinds = entries.map(([c, v]) => kindOf(c, v));
  const probed: (AudioMeta | undefined)[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (kinds[i] !== 'data-url') continue;
    const d = dataUrlOf(entries[i]![1])!;
    probed[i] = await r.dataUrlMeta(d.head, d.length);
  }
  return describeEntries(count, entries, kinds, r.fileMeta, probed);
}
