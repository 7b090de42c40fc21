import test from 'ava';
import { ROOT_CONTEXT, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { HeadSampler, RatioControl, withForce } from '../../../proxy/src/sampling/head.js';
import { sampledFlagFor } from '../../../proxy/src/sampling/reveal.js';

const sc = (traceId: string, sampled: boolean): SpanContext => ({ traceId, spanId: 'e457b5a2e4d86bd1', traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE });
const ids = Array.from({ length: 64 }, (_, i) => `${i.toString(16).padStart(2, '0')}f198ee56343ba864fe8b2a57d3eff7`);

test('a token-forced trace shows the flag the head sampler would have given without the token', (t) => {
  const reveal = sampledFlagFor(new HeadSampler('traceidratio', new RatioControl(0.5)));
  const sampler = new HeadSampler('traceidratio', new RatioControl(0.5));
  for (const id of ids) {
    t.is(reveal(withForce(ROOT_CONTEXT, 'token'), sc(id, true)), sampler.decide(ROOT_CONTEXT, id), id);
  }
  t.true(ids.some((id) => !sampler.decide(ROOT_CONTEXT, id)), 'some of them are unsampled without the token');
});

test('otherwise the real flag, B3 debug included', (t) => {
  const reveal = sampledFlagFor(new HeadSampler('traceidratio', new RatioControl(0)));
  t.true(reveal(withForce(ROOT_CONTEXT, 'b3_debug'), sc(ids[0]!, true)));
  t.true(reveal(ROOT_CONTEXT, sc(ids[0]!, true)));
  t.false(reveal(ROOT_CONTEXT, sc(ids[0]!, false)));
});
