// The sampled flag the client is shown (traceresponse). For a trace forced by X-Debug-Tracing it
// is the verdict the head sampler would have given without the token: otherwise a guesser at a
// ratio below 1 would see the flag flip to 01 exactly when the guess was right. B3 debug is the
// client's own request, so showing that it took effect tells nothing secret.
import type { SpanContext } from '@opentelemetry/api';
import type { RequestState } from '../request-state.js';
import { forcedBy, type HeadSampler } from './head.js';

export type SampledFlag = (s: RequestState, sc: SpanContext) => boolean;

export function sampledFlagFor(sampler: Pick<HeadSampler, 'decide'>): SampledFlag {
  return (s, sc) => {
    if (s.parentContext && forcedBy(s.parentContext) === 'token') return sampler.decide(s.parentContext, sc.traceId);
    return (sc.traceFlags & 1) === 1;
  };
}
