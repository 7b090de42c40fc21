// Trace and span ids as the specs and Zipkin define them: lower-case hex of an exact length, not
// all zero. The OpenTelemetry API's own checks are case-insensitive, and Zipkin refuses a whole
// batch for one upper-case id, so every id that enters (propagation) or leaves (export) goes
// through these. A loop over the characters rather than a regular expression: every span is
// checked on export, and two regular expressions per id were a visible part of it (issue 10).

/** Whether `s` is exactly `length` lower-hex characters, not all zero. */
function lowerHexId(s: string, length: number): boolean {
  if (s.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x30 && c <= 0x39) nonZero = true;
    else if (c >= 0x61 && c <= 0x66) nonZero = true;
    else if (c !== 0x30) return false;
  }
  return nonZero;
}

/** A 64-bit span id: 16 lower-hex characters, not all zero. */
export function isSpanId(s: unknown): s is string {
  return typeof s === 'string' && lowerHexId(s, 16);
}

/** A W3C / OTLP trace id: 32 lower-hex characters, not all zero. */
export function isTraceId128(s: unknown): s is string {
  return typeof s === 'string' && lowerHexId(s, 32);
}

/** A B3 / Zipkin trace id: 64 or 128 bits, 16 or 32 lower-hex characters, not all zero. */
export function isB3TraceId(s: unknown): s is string {
  return typeof s === 'string' && (lowerHexId(s, 16) || lowerHexId(s, 32));
}

/** One header value: a repeated header (an array, or a comma-joined value) is not one id. */
export function single(v: string | string[] | undefined): string | undefined {
  // '' fails every check: present, and invalid.
  if (Array.isArray(v)) return v.length === 1 ? v[0] : '';
  return v;
}
