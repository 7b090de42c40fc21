import {
  B3Propagator, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID,
} from '@opentelemetry/propagator-b3';
import type { IncomingHttpHeaders } from 'node:http';
import { restrictedGetter, type PropagationFormat } from './format.js';
import { isB3TraceId, isSpanId, single } from './ids.js';

export const B3_MULTI_HEADERS = [X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS, X_B3_PARENT_SPAN_ID].map((h) => h.toLowerCase());

const propagator = new B3Propagator();
const getter = restrictedGetter(B3_MULTI_HEADERS);

// openzipkin/b3-propagation: Sampled is 1 or 0 (true/false from older tracers "may" be accepted,
// and are), Flags is 1 for debug (0 is read as its absence).
const SAMPLED = new Set(['1', '0', 'true', 'false']);
const FLAGS = new Set(['1', '0']);

/**
 * The spec's rules, which the OpenTelemetry propagator does not check (it accepts upper case,
 * any trace id length, an invalid parent): every header present must be valid.
 */
export function validB3Multi(h: IncomingHttpHeaders): boolean {
  const trace = single(h[X_B3_TRACE_ID.toLowerCase()]);
  const span = single(h[X_B3_SPAN_ID.toLowerCase()]);
  const parent = single(h[X_B3_PARENT_SPAN_ID.toLowerCase()]);
  const sampled = single(h[X_B3_SAMPLED.toLowerCase()]);
  const flags = single(h[X_B3_FLAGS.toLowerCase()]);
  return isB3TraceId(trace) && isSpanId(span)
    && (parent === undefined || isSpanId(parent))
    && (sampled === undefined || SAMPLED.has(sampled))
    && (flags === undefined || FLAGS.has(flags));
}

export const b3Multi: PropagationFormat = {
  name: 'b3multi',
  // Sampled/flags alone are a sampling hint without a parent: only the ids announce a context.
  headers: [X_B3_TRACE_ID.toLowerCase(), X_B3_SPAN_ID.toLowerCase()],
  // Validated here, parsed by the stock propagator, so the debug flag lands where inject reads it.
  extract: (parent, carrier) => (validB3Multi(carrier) ? propagator.extract(parent, carrier, getter) : parent),
};
