// W3C Trace Context `tracestate` (§3.3): validated as a whole, then cut to the size the spec asks
// vendors to propagate. The stock TraceState returns an *empty* state for anything over 512
// characters, which the W3C injector then sends upstream as an empty header.

/** §3.3.1.5: at most 32 list members. */
export const MAX_MEMBERS = 32;
/** §3.3.1.1: vendors propagate at least 512 characters; past that, truncate. */
export const MAX_LENGTH = 512;
/** §3.3.1.5: members longer than this are the first to go when truncating. */
export const LONG_MEMBER = 128;

// key = simple-key / tenant-id "@" system-id; value = 0*255(chr) nblk-chr (printable ASCII
// except "," and "=", spaces allowed but not last).
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const MULTI_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export type TraceStateResult =
  /** Valid; `value` is what to propagate, undefined when nothing is left to send. */
  | { readonly valid: true; readonly value?: string; readonly truncated: boolean }
  | { readonly valid: false };

function validMember(m: string): string | undefined {
  const eq = m.indexOf('=');
  if (eq <= 0) return undefined;
  const key = m.slice(0, eq);
  const value = m.slice(eq + 1);
  return (SIMPLE_KEY.test(key) || MULTI_KEY.test(key)) && VALUE.test(value) ? key : undefined;
}

/**
 * Parses the combined header (repeated headers joined by ","). Any invalid member, a repeated
 * key or more than 32 members make the whole header invalid (§3.3.1.3: discard it, keep
 * traceparent). Over 512 characters, whole members are dropped: the rightmost one longer than 128
 * characters while there is one, then the rightmost (oldest, §3.5) ones.
 */
export function parseTraceState(raw: string | string[] | undefined): TraceStateResult {
  if (raw === undefined) return { valid: true, truncated: false };
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const part of joined.split(',')) {
    // OWS around members; empty members are allowed and ignored.
    const m = part.replace(/^[ \t]+|[ \t]+$/g, '');
    if (m === '') continue;
    const key = validMember(m);
    if (key === undefined || keys.has(key)) return { valid: false };
    keys.add(key);
    members.push(m);
  }
  if (members.length > MAX_MEMBERS) return { valid: false };
  let length = members.join(',').length;
  const truncated = length > MAX_LENGTH;
  while (length > MAX_LENGTH) {
    let drop = -1;
    for (let i = members.length - 1; i >= 0; i--) if (members[i]!.length > LONG_MEMBER) { drop = i; break; }
    if (drop < 0) drop = members.length - 1;
    members.splice(drop, 1);
    length = members.join(',').length;
  }
  return { valid: true, value: members.length ? members.join(',') : undefined, truncated };
}
