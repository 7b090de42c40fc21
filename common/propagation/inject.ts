import type { Context, TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator, B3_CONTEXT_HEADER } from '@opentelemetry/propagator-b3';
import type { IncomingHttpHeaders } from 'node:http';
import { B3_MULTI_HEADERS } from './b3-multi.js';

const w3c = new W3CTraceContextPropagator();
const b3single = new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
const b3multi = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

/** Every header a propagation format may write; the client's copies are replaced, never merged. */
export const PROPAGATION_HEADERS: readonly string[] = ['traceparent', 'tracestate', B3_CONTEXT_HEADER, ...B3_MULTI_HEADERS];

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => { carrier[key.toLowerCase()] = value; },
};

/**
 * Headers that carry `ctx` (our CLIENT span) upstream in every format we know, so the app
 * continues the trace whichever propagator it was configured with. `baggage` is not touched:
 * it passes through as the client sent it.
 */
export function injectHeaders(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  w3c.inject(ctx, out, setter);
  b3single.inject(ctx, out, setter);
  b3multi.inject(ctx, out, setter);
  // The stock injector writes an empty state as an empty header; the spec wants none at all.
  if (out.tracestate === '') delete out.tracestate;
  return out;
}

export function removePropagationHeaders(headers: IncomingHttpHeaders): void {
  for (const h of PROPAGATION_HEADERS) delete headers[h];
}
