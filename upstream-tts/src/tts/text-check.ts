// Input text is checked before it reaches a worker thread, so that a bad request costs no
// inference slot and gets a message the user can act on. Piper itself would read most of these
// aloud (espeak spells out emoji names and foreign scripts letter by letter); for a service a
// clear refusal is more useful than minutes of "grinning face" or "chinese letter".
import { TtsError } from '../errors.js';

export interface TextLimits {
  /** Longest accepted text, in Unicode codepoints. */
  readonly maxChars: number;
}

// Which letters a voice can say, by the first part of its espeak voice name. Languages missing
// here accept letters of any script (espeak decides); the table only guards common voices.
const SCRIPT_OF_LANGUAGE: Readonly<Record<string, { name: string; re: RegExp }>> = (() => {
  const latin = { name: 'Latin', re: /\p{Script=Latin}/u };
  const cyrillic = { name: 'Cyrillic', re: /[\p{Script=Cyrillic}\p{Script=Latin}]/u };
  const table: Record<string, { name: string; re: RegExp }> = {};
  for (const l of ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'no', 'nb', 'fi', 'pl', 'cs', 'sk', 'hu', 'ro',
    'ca', 'is', 'tr', 'vi', 'sw', 'cy', 'lb', 'sl', 'lv', 'lt', 'et', 'hr', 'id', 'ms', 'eu', 'ga', 'sq', 'af']) table[l] = latin;
  for (const l of ['ru', 'uk', 'bg', 'kk', 'mk', 'be', 'sr']) table[l] = cyrillic;
  table.el = { name: 'Greek', re: /\p{Script=Greek}/u };
  table.ka = { name: 'Georgian', re: /\p{Script=Georgian}/u };
  table.ar = { name: 'Arabic', re: /\p{Script=Arabic}/u };
  table.fa = { name: 'Arabic', re: /\p{Script=Arabic}/u };
  table.he = { name: 'Hebrew', re: /\p{Script=Hebrew}/u };
  return table;
})();

// ©, ® and ™ are Extended_Pictographic but ordinary text symbols that espeak reads well.
const TEXT_SYMBOLS = new Set([0xa9, 0xae, 0x2122]);
const EMOJI = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u{FE0F}\u{20E3}]/u;
// Tab, line feed and carriage return are layout, not control characters, in text.
const ALLOWED_CONTROL = new Set([0x09, 0x0a, 0x0d]);
// Invisible format characters that carry no meaning for speech but are harmless.
const ALLOWED_FORMAT = new Set([0xad, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff]);

function where(cp: number, index: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} at position ${index}`;
}

/** Throws a TtsError (a user error) naming the first offending character, else returns. */
export function checkText(text: string, espeakVoice: string, limits: TextLimits): void {
  if (text.trim() === '') throw new TtsError('text_empty', 'text is empty');
  const codepoints = [...text];
  if (codepoints.length > limits.maxChars) {
    throw new TtsError('text_too_long', `text is ${codepoints.length} characters long; the limit is ${limits.maxChars}`);
  }
  const script = SCRIPT_OF_LANGUAGE[espeakVoice.toLowerCase().split(/[-_]/)[0]!];
  let index = 0;
  for (const ch of codepoints) {
    const cp = ch.codePointAt(0)!;
    if (/\p{Cc}/u.test(ch) && !ALLOWED_CONTROL.has(cp)) {
      throw new TtsError('text_control_chars', `text contains a control character (${where(cp, index)})`);
    }
    if (EMOJI.test(ch) && !TEXT_SYMBOLS.has(cp)) {
      throw new TtsError('text_emoji', `text contains an emoji (${where(cp, index)}); emoji cannot be spoken`);
    }
    if (/[\p{Cf}]/u.test(ch) && !ALLOWED_FORMAT.has(cp)) {
      throw new TtsError('text_control_chars', `text contains an invisible format character (${where(cp, index)})`);
    }
    if (/[\p{Cn}\p{Co}\p{Cs}]/u.test(ch)) {
      throw new TtsError('text_unsupported_chars', `text contains an unassigned or private-use character (${where(cp, index)})`);
    }
    if (script && /\p{L}/u.test(ch) && !script.re.test(ch)) {
      throw new TtsError('text_unsupported_chars',
        `text contains "${ch}" (${where(cp, index)}), which the ${espeakVoice} voice cannot speak (${script.name} script only)`);
    }
    index++;
  }
}
