import test from 'ava';
import { checkText } from '../../../upstream-tts/src/tts/text-check.js';

const limits = { maxChars: 5000 };
const codeOf = (text: string, voice = 'en-us'): string | undefined => {
  try {
    checkText(text, voice, limits);
    return undefined;
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test('ordinary English passes, with punctuation, digits, symbols, accents and line breaks', (t) => {
  for (const text of ['Hello, world!', 'It costs $3.50 (or €3) — 100% sure.', 'Café naïve façade.', 'Line one.\nLine two.\tTabbed.', 'Copyright © 2024, Acme™.']) {
    t.is(codeOf(text), undefined, text);
  }
});

test('each kind of bad text gets its own code', (t) => {
  t.is(codeOf(''), 'text_empty');
  t.is(codeOf(' \n\t '), 'text_empty');
  t.is(codeOf('a'.repeat(10_000)), 'text_too_long');
  t.is(codeOf('bell\u0007'), 'text_control_chars');
  t.is(codeOf('nul\u0000byte'), 'text_control_chars');
  t.is(codeOf('bidi\u202eoverride'), 'text_control_chars');
  t.is(codeOf('smile 😀'), 'text_emoji');
  t.is(codeOf('flag 🇫🇷'), 'text_emoji');
  t.is(codeOf('heart ❤️'), 'text_emoji');
  t.is(codeOf('private \ue000 use'), 'text_unsupported_chars');
  t.is(codeOf('中文'), 'text_unsupported_chars');
  t.is(codeOf('Привет'), 'text_unsupported_chars');
});

test('the script check follows the voice: Cyrillic is fine for a Russian voice', (t) => {
  t.is(codeOf('Привет, мир.', 'ru'), undefined);
  // A language the table does not know accepts any letters (espeak decides).
  t.is(codeOf('中文', 'cmn'), undefined);
});

test('the message names the character and where it is', (t) => {
  const err = t.throws(() => checkText('ok 😀', 'en-us', limits));
  t.regex(err!.message, /U\+1F600 at position 3/);
  const long = t.throws(() => checkText('é'.repeat(5001), 'en-us', limits));
  t.regex(long!.message, /5001 characters.*limit is 5000/);
});
