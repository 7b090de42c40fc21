// Forced sampling (design §4): a request can ask for its trace to be kept, by B3 debug
// (`X-B3-Flags: 1`, or `d` as the sampling state of a `b3` header; Zipkin's "debug implies
// accept") or by `X-Debug-Tracing: <token>` when a token is configured. Without a token the
// header forces nothing, so strangers cannot make the proxy keep 100% of their traffic; with one,
// a wrong token forces nothing either. Forced traces are rate-limited per process, and wrong
// tokens per client (guess-limit.ts), so the token cannot be brute-forced.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Context } from '@opentelemetry/api';
import { TokenBucket } from './bucket.js';
import { budgetKey, GuessLimiter } from './guess-limit.js';
import { validB3Single } from '../../../common/propagation/b3-single.js';
import { withForce, type ForceReason } from './head.js';

export const DEBUG_TRACING_HEADER = 'x-debug-tracing';

export type Refusal = 'no_token_configured' | 'bad_token' | 'rate_limited' | 'guess_limited';

export interface ForceVerdict {
  readonly forced?: ForceReason;
  readonly refused?: Refusal;
}

export interface ForceOptions {
  /** Empty: X-Debug-Tracing is ignored (and counted as refused). */
  readonly token: string;
  /** Honour B3 debug. */
  readonly b3Debug: boolean;
  /** Which B3 encodings are read at all (OTEL_PROPAGATORS): a disabled format forces nothing. */
  readonly b3Single: boolean;
  readonly b3Multi: boolean;
  /** Forced traces per second; 0 = unlimited. */
  readonly maxPerSecond: number;
  /** Wrong tokens per client and minute before X-Debug-Tracing is ignored for that client; 0 = unlimited. */
  readonly guessesPerMinute?: number;
  readonly now?: () => number;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `b3: d`, or `b3: {trace}-{span}-d[-{parent}]`. */
export function b3SingleDebug(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim();
  if (v === 'd') return true;
  // A malformed header starts a new root; it must not force that root to be kept either.
  return validB3Single(v) && v.split('-')[2] === 'd';
}

export function b3MultiDebug(value: string | undefined): boolean {
  return value?.trim() === '1';
}

// Digests first: timingSafeEqual needs equal lengths, and comparing fixed-size digests does not
// reveal the token's length either.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(given: string, expected: string): boolean {
  if (!expected) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

export type ForceDecider = (headers: IncomingHttpHeaders, client?: string) => ForceVerdict;

export function makeForceDecider(opts: ForceOptions): ForceDecider {
  const bucket = opts.maxPerSecond > 0 ? new TokenBucket(opts.maxPerSecond, opts.now ?? Date.now) : undefined;
  const guesses = opts.guessesPerMinute ? new GuessLimiter(opts.guessesPerMinute, opts.now ?? Date.now) : undefined;
  const token = opts.token;
  return (headers, client) => {
    let reason: ForceReason | undefined;
    let refused: Refusal | undefined;
    const debugHeader = first(headers[DEBUG_TRACING_HEADER]);
    if (debugHeader !== undefined) {
      // Past its budget a client's header is not even compared, so a right guess looks like a wrong one.
      if (!token) refused = 'no_token_configured';
      else if (guesses?.exhausted(budgetKey(client ?? ''))) refused = 'guess_limited';
      else if (tokenMatches(debugHeader.trim(), token)) reason = 'token';
      else { refused = 'bad_token'; guesses?.failed(budgetKey(client ?? '')); }
    }
    if (!reason && opts.b3Debug
      && ((opts.b3Multi && b3MultiDebug(first(headers['x-b3-flags']))) || (opts.b3Single && b3SingleDebug(first(headers.b3))))) {
      reason = 'b3_debug';
    }
    if (reason && bucket && !bucket.take()) return { refused: 'rate_limited' };
    return reason ? { forced: reason, refused } : { refused };
  };
}

/** What the extraction stage needs from the inbound headers (propagation/extract.ts). */
export interface ExtractedLike {
  readonly context: Context;
}

// W3C Trace Context caps tracestate at 512 bytes (OTel's TraceState drops the excess silently).
const TRACESTATE_MAX = 512;

/**
 * Wraps the propagation extractor: a request that forces sampling gets the reason in its context,
 * where the head sampler finds it; refusals and oversize headers are reported for counting.
 */
export function forcingExtractor<E extends ExtractedLike>(
  extract: (headers: IncomingHttpHeaders) => E,
  decide: ForceDecider,
  report: { refused(r: Refusal): void; oversize(header: string): void },
): (headers: IncomingHttpHeaders, client?: string) => E {
  return (headers, client) => {
    const got = extract(headers);
    const ts = headers.tracestate;
    if (ts !== undefined && (Array.isArray(ts) ? ts.join(',') : ts).length > TRACESTATE_MAX) report.oversize('tracestate');
    const v = decide(headers, client);
    if (v.refused) report.refused(v.refused);
    return v.forced ? { ...got, context: withForce(got.context, v.forced) } : got;
  };
}
