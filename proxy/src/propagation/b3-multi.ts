import {
  B3Propagator, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID,
} from '@opentelemetry/propagator-b3';
import { restrictedGetter, type PropagationFormat } from './format.js';

export const B3_MULTI_HEADERS = [X_B3_TRACE_ID, X_B3_SPAN_ID, X_B3_SAMPLED, X_B3_FLAGS, X_B3_PARENT_SPAN_ID].map((h) => h.toLowerCase());

const propagator = new B3Propagator();
const getter = restrictedGetter(B3_MULTI_HEADERS);

export const b3Multi: PropagationFormat = {
  name: 'b3multi',
  // Sampled/flags alone are a sampling hint without a parent: only the ids announce a context.
  headers: [X_B3_TRACE_ID.toLowerCase(), X_B3_SPAN_ID.toLowerCase()],
  extract: (parent, carrier) => propagator.extract(parent, carrier, getter),
};
