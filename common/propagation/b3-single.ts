import { B3Propagator, B3_CONTEXT_HEADER } from '@opentelemetry/propagator-b3';
import type { IncomingHttpHeaders } from 'node:http';
import { restrictedGetter, type PropagationFormat } from './format.js';
import { isB3TraceId, isSpanId, single } from './ids.js';

// B3Propagator reads both encodings; the restricted getter makes it read only `b3` here.
const propagator = new B3Propagator();
const getter = restrictedGetter([B3_CONTEXT_HEADER]);

// openzipkin/b3-propagation, single header: `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`,
// anchored at both ends (the stock regex is not, so trailing garbage still gave a context), or a
// sampling state alone. Lengths and "not all zero" are checked on the captured ids.
const GRAMMAR = /^([0-9a-f]{32}|[0-9a-f]{16})-([0-9a-f]{16})(?:-([01d])(?:-([0-9a-f]{16}))?)?$/;
const SAMPLING_ONLY = new Set(['0', '1', 'd']);

/** `b3: 0` (or 1, d) is a valid header with a decision and no ids: no context, nothing malformed. */
export function b3SamplingOnly(v: string | undefined): boolean {
  return v !== undefined && SAMPLING_ONLY.has(v);
}

export function validB3Single(v: string | undefined): boolean {
  const m = v === undefined ? null : GRAMMAR.exec(v);
  return m !== null && isB3TraceId(m[1]) && isSpanId(m[2]) && (m[4] === undefined || isSpanId(m[4]));
}

const value = (h: IncomingHttpHeaders) => single(h[B3_CONTEXT_HEADER]);

export const b3Single: PropagationFormat = {
  name: 'b3',
  headers: [B3_CONTEXT_HEADER],
  announces: (h) => !b3SamplingOnly(value(h)),
  extract: (parent, carrier) => (validB3Single(value(carrier)) ? propagator.extract(parent, carrier, getter) : parent),
};
