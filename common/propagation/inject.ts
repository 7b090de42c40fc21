import { isSpanContextValid, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { B3_CONTEXT_HEADER } from '@opentelemetry/propagator-b3';
// Where the stock B3 extractor (b3-single.ts, b3-multi.ts use it) records a client's debug flag.
// The package's index does not export it; test/common/propagation/inject.test.ts extracts debug
// contexts with the stock propagator and fails if this is not the key it writes.
import { B3_DEBUG_FLAG_KEY } from '@opentelemetry/propagator-b3/build/src/common.js';
import type { IncomingHttpHeaders } from 'node:http';
import { B3_MULTI_HEADERS } from './b3-multi.js';

/** Every header a propagation format may write; the client's copies are replaced, never merged. */
export const PROPAGATION_HEADERS: readonly string[] = ['traceparent', 'tracestate', B3_CONTEXT_HEADER, ...B3_MULTI_HEADERS];

/**
 * Headers that carry `ctx` (our CLIENT span) upstream in every format we know, so the app
 * continues the trace whichever propagator it was configured with. `baggage` is not touched:
 * it passes through as the client sent it.
 *
 * Written here rather than by the stock W3C and B3 injectors: each of those three looked the
 * span up, validated its ids and checked suppression again, for a third of the pipeline's time
 * on every request (issue 10). The fields, their values and their order are the stock
 * injectors' (the test compares them, for the flags a span of ours has: 00 and 01), except that
 * an empty tracestate is left out, as W3C wants, and flags above 0f keep two hex digits.
 */
export function injectHeaders(ctx: Context): Record<string, string> {
  return spanHeaders(trace.getSpanContext(ctx), ctx);
}

/**
 * `injectHeaders(trace.setSpan(ctx, span))` for `sc`, the span's context, without making that
 * context: the B3 debug flag and suppression are read from `ctx`, which the span would inherit.
 */
export function spanHeaders(sc: SpanContext | undefined, ctx: Context): Record<string, string> {
  if (!sc || !isSpanContextValid(sc) || isTracingSuppressed(ctx)) return {};
  const { traceId, spanId, traceFlags } = sc;
  const sampled = (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  const out: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${traceFlags < 16 ? '0' : ''}${traceFlags.toString(16)}` };
  const state = sc.traceState?.serialize();
  if (state) out.tracestate = state;
  // B3 single: the debug state as extracted ('d' from b3, '1' from x-b3-flags), else the sampled bit.
  const debug = ctx.getValue(B3_DEBUG_FLAG_KEY) as string | undefined;
  out[B3_CONTEXT_HEADER] = `${traceId}-${spanId}-${debug || (sampled ? 1 : 0)}`;
  out['x-b3-traceid'] = traceId;
  out['x-b3-spanid'] = spanId;
  // B3 multi: a debug flag replaces the sampling decision (only x-b3-flags' own "1" counts).
  if (debug === '1') out['x-b3-flags'] = '1';
  else out['x-b3-sampled'] = sampled ? '1' : '0';
  return out;
}

export function removePropagationHeaders(headers: IncomingHttpHeaders): void {
  for (const h of PROPAGATION_HEADERS) delete headers[h];
}
