import { trace } from '@opentelemetry/api';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { IncomingHttpHeaders } from 'node:http';
import { restrictedGetter, type PropagationFormat } from './format.js';
import { isSpanId, isTraceId128, single } from './ids.js';
import { parseTraceState } from './tracestate.js';

const propagator = new W3CTraceContextPropagator();
// tracestate is parsed by parseTraceState, never by the stock TraceState (see tracestate.ts).
const getter = restrictedGetter(['traceparent']);

// W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex. Version ff is invalid;
// version 00 is exactly 55 characters; a later version may append "-..." which is ignored.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/s;

export function validTraceparent(v: string | undefined): boolean {
  const m = v === undefined ? null : TRACEPARENT.exec(v);
  if (m === null || m[1] === 'ff') return false;
  if (m[1] === '00' && m[5] !== undefined) return false;
  return isTraceId128(m[2]) && isSpanId(m[3]);
}

export const TRACESTATE_FORMAT = 'tracestate';

export const w3c: PropagationFormat = {
  name: 'tracecontext',
  // tracestate alone carries no parent, so only traceparent announces the format.
  headers: ['traceparent'],
  extract(parent, carrier: IncomingHttpHeaders, report) {
    if (!validTraceparent(single(carrier.traceparent))) return parent;
    const ctx = propagator.extract(parent, carrier, getter);
    const sc = trace.getSpanContext(ctx);
    if (sc === undefined) return parent;
    const ts = parseTraceState(carrier.tracestate);
    if (!ts.valid) report?.(TRACESTATE_FORMAT);
    const value = ts.valid ? ts.value : undefined;
    return trace.setSpanContext(ctx, { ...sc, traceState: value === undefined ? undefined : new TraceState(value) });
  },
};
