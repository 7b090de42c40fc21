import test from 'ava';
import { ROOT_CONTEXT, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { HeadSampler, RatioControl, ratioKeeps, withForce } from '../../../proxy/src/sampling/head.js';
import * as A from '../../../proxy/src/spans/attributes.js';

const id = () => randomBytes(16).toString('hex');
const remote = (sampled: boolean): SpanContext => ({ traceId: id(), spanId: randomBytes(8).toString('hex'), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });

test('ratioKeeps is deterministic per trace id and keeps about the ratio', (t) => {
  const ids = Array.from({ length: 20_000 }, id);
  const kept = ids.filter((i) => ratioKeeps(i, 0.1)).length;
  t.true(kept > 1700 && kept < 2300, `kept ${kept} of 20000 at 0.1`);
  t.deepEqual(ids.map((i) => ratioKeeps(i, 0.1)), ids.map((i) => ratioKeeps(i, 0.1)));
  // Monotonic: what a low ratio keeps, a higher ratio keeps too (raising the ratio only adds).
  t.true(ids.every((i) => !ratioKeeps(i, 0.1) || ratioKeeps(i, 0.5)));
  t.true(ids.every((i) => ratioKeeps(i, 1) && !ratioKeeps(i, 0)));
  // B3 64-bit ids are zero-padded on the left: the low bits still decide.
  const b3 = Array.from({ length: 5000 }, () => '0'.repeat(16) + randomBytes(8).toString('hex'));
  const keptB3 = b3.filter((i) => ratioKeeps(i, 0.5)).length;
  t.true(keptB3 > 2300 && keptB3 < 2700, `b3 ${keptB3}`);
});

test('parentbased_traceidratio: follows a parent either way, applies the ratio to roots', (t) => {
  const s = new HeadSampler('parentbased_traceidratio', new RatioControl(0));
  const sampledParent = trace.setSpanContext(ROOT_CONTEXT, remote(true));
  const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, remote(false));
  t.is(s.shouldSample(sampledParent, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
  // Not sampled is RECORD, never NOT_RECORD: the proxy still sees the span for the tail decision.
  t.is(s.shouldSample(unsampledParent, id()).decision, SamplingDecision.RECORD);
  t.is(s.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD);
  const all = new HeadSampler('parentbased_traceidratio', new RatioControl(1));
  t.is(all.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
  t.is(all.shouldSample(unsampledParent, id()).decision, SamplingDecision.RECORD, 'the parent wins over ratio 1');
});

test('non-parent-based samplers ignore the parent flag', (t) => {
  const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, remote(false));
  t.is(new HeadSampler('always_on', new RatioControl(1)).shouldSample(unsampledParent, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
  t.is(new HeadSampler('always_off', new RatioControl(1)).shouldSample(trace.setSpanContext(ROOT_CONTEXT, remote(true)), id()).decision, SamplingDecision.RECORD);
  t.is(new HeadSampler('parentbased_always_off', new RatioControl(1)).shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD);
  t.is(new HeadSampler('parentbased_always_on', new RatioControl(0)).shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
});

test('forced: sampled whatever the sampler or parent says; the local root says why', (t) => {
  const s = new HeadSampler('parentbased_always_off', new RatioControl(0));
  const ctx = withForce(trace.setSpanContext(ROOT_CONTEXT, remote(false)), 'token');
  const r = s.shouldSample(ctx, id());
  t.is(r.decision, SamplingDecision.RECORD_AND_SAMPLED);
  t.deepEqual(r.attributes, { [A.ATTR_TTS_SAMPLING_FORCED]: 'token' });
  // A child of a local span in the same (forced) context: sampled, no attribute.
  const local: SpanContext = { ...remote(true), isRemote: false };
  const child = s.shouldSample(withForce(trace.setSpanContext(ROOT_CONTEXT, local), 'token'), id());
  t.is(child.decision, SamplingDecision.RECORD_AND_SAMPLED);
  t.is(child.attributes, undefined);
});

test('a temporary override applies to roots and reverts by itself', async (t) => {
  let clock = 1_000_000;
  const changes: string[] = [];
  const control = new RatioControl(0, { now: () => clock, onChange: (_o, why) => changes.push(why) });
  const s = new HeadSampler('parentbased_traceidratio', control);
  t.is(s.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD);
  control.set(1, 60_000);
  t.is(control.ratio, 1);
  t.is(s.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
  // Parent-based still follows an unsampled parent during the override.
  t.is(s.shouldSample(trace.setSpanContext(ROOT_CONTEXT, remote(false)), id()).decision, SamplingDecision.RECORD);
  clock += 60_000;
  t.is(control.override, undefined, 'expired on read');
  t.is(s.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD);
  t.deepEqual(changes, ['set', 'expired']);
  // And by its timer, with no traffic at all.
  const real = new RatioControl(0.1);
  real.set(0.9, 50);
  await new Promise((r) => setTimeout(r, 120));
  t.is(real.ratio, 0.1);
  t.throws(() => control.set(2, 1000), { instanceOf: RangeError });
  t.throws(() => control.set(0.5, 0), { instanceOf: RangeError });
  // always_off with an override: the override is a ratio for roots.
  const off = new HeadSampler('always_off', new RatioControl(0));
  off.control.set(1, 1000);
  t.is(off.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD_AND_SAMPLED);
  off.control.clear();
  t.is(off.shouldSample(ROOT_CONTEXT, id()).decision, SamplingDecision.RECORD);
});
