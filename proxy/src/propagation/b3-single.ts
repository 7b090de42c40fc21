import { B3Propagator, B3_CONTEXT_HEADER } from '@opentelemetry/propagator-b3';
import { restrictedGetter, type PropagationFormat } from './format.js';

// B3Propagator reads both encodings; the restricted getter makes it read only `b3` here.
const propagator = new B3Propagator();
const getter = restrictedGetter([B3_CONTEXT_HEADER]);

export const b3Single: PropagationFormat = {
  name: 'b3',
  headers: [B3_CONTEXT_HEADER],
  extract: (parent, carrier) => propagator.extract(parent, carrier, getter),
};
