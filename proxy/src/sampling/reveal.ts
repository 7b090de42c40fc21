// The sampled flag the client is shown (traceresponse). For a trace forced by X-Debug-Tracing it
// is the verdict the head sampler would have given without the token: otherwise a guesser at a
// ratio below 1 would see the flag flip to 01 exactly when the guess was right. B3 debug is the
// client's own request, so showing that it took effect tells nothing secret.
import type { Context, SpanContext } from '@opentelemetry/api';
import { forcedBy, type HeadSampler } from './head.js';

/** `parent`: the context the request arrived with; `sc`: its SERVER span's. */
export type SampledFlag = (parent: Context | undefined, sc: SpanContext) => boolean;

export function sampledFlagFor(sampler: Pick<HeadSampler, 'decide'>): SampledFlag {
  return (parent, sc) => {
    if (parent && forcedBy(parent) === 'token') return sampler.decide(parent, sc.traceId);
    return (sc.traceFlags & 1) === 1;
  };
}
