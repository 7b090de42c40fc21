// Client-derived strings (header values, path segments) become attribute values: without
// control characters (a latin1 header byte 0x80-0x9f decodes to a C1 control; a tab is legal in
// a header) or bidi overrides, and of bounded length, so a log view or UI of the backend shows
// what was sent without being steered by it.
import type { Attributes } from '@opentelemetry/api';

/** Longest client-derived attribute value kept. */
export const MAX_VALUE_CHARS = 512;

// C0/C1 controls, DEL, line/paragraph separators and the bidi embeddings, overrides and isolates.
const isUnsafe = (c: number): boolean =>
  c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

/** `text` with every unsafe character replaced by `_`, cut to `max` characters. */
export function cleanText(text: string, max = MAX_VALUE_CHARS): string {
  // Nearly every value is clean: one pass over its characters then, with no regular expression
  // and no copy (every request's span passes several values through here; issue 10).
  const end = Math.min(text.length, max);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (isUnsafe(c)) return replaceUnsafe(text, i, end);
  }
  return end === text.length ? text : text.slice(0, max);
}

/** `text` up to `end` with every unsafe character from `first` on replaced by `_`. */
function replaceUnsafe(text: string, first: number, end: number): string {
  let out = text.slice(0, first);
  for (let i = first; i < end; i++) {
    const c = text.charCodeAt(i);
    out += isUnsafe(c) ? '_' : text[i];
  }
  return out;
}

/** `attrs` with every string value cleaned and bounded, in place (keys are constants already). */
export function boundedAttributes(attrs: Attributes): Attributes {
  for (const k in attrs) {
    const v = attrs[k];
    if (typeof v !== 'string') continue;
    // Written back only when cleaning changed it: nearly never, and each store here is a keyed
    // store on whichever span's attributes come by.
    const clean = cleanText(v);
    if (clean !== v) attrs[k] = clean;
  }
  return attrs;
}
