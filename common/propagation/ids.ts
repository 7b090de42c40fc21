// Trace and span ids as the specs and Zipkin define them: lower-case hex of an exact length, not
// all zero. The OpenTelemetry API's own checks are case-insensitive, and Zipkin refuses a whole
// batch for one upper-case id, so every id that enters (propagation) or leaves (export) goes
// through these.

const ZERO = /^0+$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** A 64-bit span id: 16 lower-hex characters, not all zero. */
export function isSpanId(s: unknown): s is string {
  return typeof s === 'string' && HEX16.test(s) && !ZERO.test(s);
}

/** A W3C / OTLP trace id: 32 lower-hex characters, not all zero. */
export function isTraceId128(s: unknown): s is string {
  return typeof s === 'string' && HEX32.test(s) && !ZERO.test(s);
}

/** A B3 / Zipkin trace id: 64 or 128 bits, 16 or 32 lower-hex characters, not all zero. */
export function isB3TraceId(s: unknown): s is string {
  return typeof s === 'string' && (HEX16.test(s) || HEX32.test(s)) && !ZERO.test(s);
}

/** One header value: a repeated header (an array, or a comma-joined value) is not one id. */
export function single(v: string | string[] | undefined): string | undefined {
  // '' fails every check: present, and invalid.
  if (Array.isArray(v)) return v.length === 1 ? v[0] : '';
  return v;
}
