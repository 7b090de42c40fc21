import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { restrictedGetter, type PropagationFormat } from './format.js';

const propagator = new W3CTraceContextPropagator();
const headers = ['traceparent', 'tracestate'] as const;
const getter = restrictedGetter(headers);

export const w3c: PropagationFormat = {
  name: 'tracecontext',
  // tracestate alone carries no parent, so only traceparent announces the format.
  headers: ['traceparent'],
  extract: (parent, carrier) => propagator.extract(parent, carrier, getter),
};
