// Text to Piper phonemes with Piper's own phonemizer: @diffusionstudio/piper-wasm is
// rhasspy/piper-phonemize (espeak-ng, rhasspy fork) compiled to wasm, so clause splitting,
// terminator punctuation and sentence boundaries are Piper's, and the published en-us test
// vectors are reproduced id for id. The wasm instance is synchronous: call this from a worker
// thread, never from the HTTP event loop.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TtsError } from '../errors.js';

/** The emscripten module the package builds (no types ship with it). */
interface PhonemizeModule {
  callMain(args: string[]): number;
}
type PhonemizeFactory = (options: {
  print: (line: string) => void;
  printErr: (line: string) => void;
  locateFile: (file: string) => string;
  getPreloadedPackage: (name: string, size: number) => ArrayBuffer;
}) => Promise<PhonemizeModule>;

/** One line of piper-phonemize's JSON output. */
interface PhonemizeOutput {
  phoneme_ids: number[];
  phonemes: string[];
}

// The package's "main" points at a broken absolute path; the build file itself loads fine.
const require = createRequire(import.meta.url);
const FACTORY_PATH = require.resolve('@diffusionstudio/piper-wasm/build/piper_phonemize.js');
const BUILD_DIR = dirname(FACTORY_PATH);
// espeak-ng-data is mounted at this path inside the wasm file system by the package's .data file.
const ESPEAK_DATA = '/espeak-ng-data';
// One instance aborts ("RuntimeError: Aborted()") after roughly 140 calls (its heap grows and is
// never given back); replacing it well before that keeps every call on a healthy instance.
export const CALLS_PER_INSTANCE = 100;
// piper-phonemize frames each sentence as BOS ... EOS with these ids in its built-in map.
const BOS_ID = 1;
const EOS_ID = 2;

export interface Phonemized {
  /** One list of phonemes (Unicode codepoints of espeak IPA, punctuation included) per sentence. */
  readonly sentences: readonly (readonly string[])[];
}

export class Phonemizer {
  private module: PhonemizeModule | undefined;
  private calls = 0;
  private output: string[] = [];
  private errors: string[] = [];
  private readonly factory: PhonemizeFactory;
  // The 18 MB espeak data package is read once and handed to every new instance.
  private readonly dataPackage: ArrayBuffer;
  /** How many wasm instances were created (the first one included). */
  instances = 0;

  constructor() {
    this.factory = require(FACTORY_PATH) as PhonemizeFactory;
    const data = readFileSync(join(BUILD_DIR, 'piper_phonemize.data'));
    this.dataPackage = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  }

  private async instance(): Promise<PhonemizeModule> {
    if (this.module && this.calls < CALLS_PER_INSTANCE) return this.module;
    this.module = await this.factory({
      print: (line) => this.output.push(line),
      printErr: (line) => this.errors.push(line),
      locateFile: (file) => join(BUILD_DIR, file),
      getPreloadedPackage: () => this.dataPackage,
    });
    this.calls = 0;
    this.instances++;
    return this.module;
  }

  /** Splits `text` into sentences of phonemes exactly as piper-phonemize does for `espeakVoice`. */
  async phonemize(text: string, espeakVoice: string): Promise<Phonemized> {
    const mod = await this.instance();
    this.calls++;
    this.output = [];
    this.errors = [];
    try {
      mod.callMain(['-l', espeakVoice, '--input', JSON.stringify([{ text }]), '--espeak_data', ESPEAK_DATA]);
    } catch (err) {
      // A failed call can leave the instance unusable (an abort, or a C++ exception that the wasm
      // build surfaces as a bare number for an unknown voice): never reuse it.
      this.module = undefined;
      const detail = typeof err === 'number' ? `espeak voice "${espeakVoice}" not available` : String(err);
      throw new TtsError('phonemizer_failed', `phonemizer failed: ${detail}`);
    }
    const line = this.output.join('');
    let parsed: PhonemizeOutput;
    try {
      parsed = JSON.parse(line) as PhonemizeOutput;
    } catch {
      this.module = undefined;
      throw new TtsError('phonemizer_failed', `phonemizer failed: ${this.errors.join(' ') || 'no output'}`);
    }
    return { sentences: splitSentences(parsed) };
  }
}

/**
 * piper-phonemize prints one flat phoneme list for all sentences, plus the concatenated id
 * sequences (each BOS, PAD, (id, PAD)*, EOS). Every phoneme it keeps has one id, so each id
 * sequence tells how many phonemes its sentence has; that count cuts the flat list. The ids
 * themselves are recomputed from the voice's own map (phoneme-ids.ts), so a voice whose map
 * differs from piper-phonemize's built-in one is still served correctly.
 */
export function splitSentences(out: PhonemizeOutput): string[][] {
  const counts: number[] = [];
  let start = -1;
  out.phoneme_ids.forEach((id, i) => {
    if (id === BOS_ID && start < 0) start = i;
    else if (id === EOS_ID && start >= 0) {
      // [BOS, PAD, (p, PAD) * k, EOS] has 2k + 3 ids.
      counts.push((i - start + 1 - 3) / 2);
      start = -1;
    }
  });
  const total = counts.reduce((a, b) => a + b, 0);
  if (!counts.every(Number.isInteger) || total !== out.phonemes.length) {
    // A phoneme missing from piper-phonemize's map breaks the 1:1 count; keep the text as one
    // sentence rather than guess where it ends (Piper itself would drop that phoneme).
    return out.phonemes.length ? [out.phonemes.slice()] : [];
  }
  const sentences: string[][] = [];
  let offset = 0;
  for (const n of counts) {
    if (n > 0) sentences.push(out.phonemes.slice(offset, offset + n));
    offset += n;
  }
  return sentences;
}
