// Head sampling (design §4): the decision made when a span starts, per OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG. It sets the sampled flag the app receives. The proxy itself records
// every span regardless (a "not sampled" span is RECORD, not dropped) so that the tail sampler
// can still keep errors, slow and forced traces; see tail.ts.
import { createContextKey, trace, type Attributes, type Context } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import type { SAMPLERS } from '../config/schema.js';
import * as A from '../spans/attributes.js';
import { validParentContext } from '../spans/tracer.js';

export type SamplerName = (typeof SAMPLERS)[number];

/** Why a request forces sampling; carried in the context from extraction to the sampler. */
export type ForceReason = 'b3_debug' | 'token';
export const FORCE_KEY = createContextKey('tts-trace-proxy.force-sampling');

export function withForce(ctx: Context, reason: ForceReason): Context {
  return ctx.setValue(FORCE_KEY, reason);
}

export function forcedBy(ctx: Context): ForceReason | undefined {
  return ctx.getValue(FORCE_KEY) as ForceReason | undefined;
}

/**
 * Trace-id ratio, deterministic in the trace id so that every replica (and any other consistent
 * sampler) reaches the same verdict: the low 52 bits of the id, read as a fraction, below the
 * ratio. W3C random trace ids make those bits uniform; B3 64-bit ids are zero-padded on the left,
 * so the low bits are the random ones.
 */
export function ratioKeeps(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const low = parseInt(traceId.slice(-13), 16);
  return Number.isFinite(low) && low / 2 ** 52 < ratio;
}

export interface RatioOverride {
  readonly ratio: number;
  /** Epoch ms when the override reverts by itself. */
  readonly until: number;
}

export interface RatioControlOptions {
  readonly now?: () => number;
  /** Called when an override starts, is cleared, or expires. */
  readonly onChange?: (override: RatioOverride | undefined, why: 'set' | 'cleared' | 'expired') => void;
}

/**
 * The configured ratio plus an optional temporary override ("raise sampling for 10 minutes while
 * I diagnose"), which reverts by itself. The override lives in this process only: on several
 * replicas, make the admin call on each.
 */
export class RatioControl {
  private current?: RatioOverride;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(readonly base: number, private readonly opts: RatioControlOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The override in force, if any (an expired one is cleared on read as well as by its timer). */
  get override(): RatioOverride | undefined {
    if (this.current && this.current.until <= this.now()) this.expire();
    return this.current;
  }

  get ratio(): number {
    return this.override?.ratio ?? this.base;
  }

  set(ratio: number, durationMs: number): RatioOverride {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError('ratio must be within [0, 1]');
    if (!(durationMs > 0)) throw new RangeError('duration must be positive');
    clearTimeout(this.timer);
    this.current = { ratio, until: this.now() + durationMs };
    // unref: a pending revert must not keep a stopping process alive.
    this.timer = setTimeout(() => this.expire(), durationMs).unref();
    this.opts.onChange?.(this.current, 'set');
    return this.current;
  }

  clear(): void {
    if (!this.current) return;
    clearTimeout(this.timer);
    this.current = undefined;
    this.opts.onChange?.(undefined, 'cleared');
  }

  private expire(): void {
    if (!this.current) return;
    clearTimeout(this.timer);
    this.current = undefined;
    this.opts.onChange?.(undefined, 'expired');
  }
}

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
// Recorded but not sampled: the app is told "not sampled", the proxy still sees the span end.
const RECORD_ONLY: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD });

/**
 * The OTel SDK sampler the proxy's tracer provider uses. `parentbased_*` follow a valid parent's
 * sampled flag and apply the named sampler to new roots; the others apply it to every span (the
 * ratio is consistent per trace id, so a trace is never split). A forced request is sampled
 * whatever the sampler says, and its local root span says why.
 */
export class HeadSampler implements Sampler {
  private readonly parentBased: boolean;
  private readonly root: 'always_on' | 'always_off' | 'traceidratio';

  constructor(readonly name: SamplerName, readonly control: RatioControl) {
    this.parentBased = name.startsWith('parentbased_');
    this.root = name.replace('parentbased_', '') as HeadSampler['root'];
  }

  /** The head verdict alone, for one span. */
  decide(ctx: Context, traceId: string): boolean {
    const parent = this.parentBased ? validParentContext(trace.getSpan(ctx)) : undefined;
    if (parent) return (parent.traceFlags & 1) === 1;
    // A temporary override is a ratio, whatever sampler is configured.
    const override = this.control.override;
    if (override) return ratioKeeps(traceId, override.ratio);
    switch (this.root) {
      case 'always_on': return true;
      case 'always_off': return false;
      case 'traceidratio': return ratioKeeps(traceId, this.control.base);
    }
  }

  shouldSample(ctx: Context, traceId: string): SamplingResult {
    const forced = forcedBy(ctx);
    if (forced) {
      const parent = trace.getSpanContext(ctx);
      const localRoot = !parent || parent.isRemote === true;
      if (!localRoot) return SAMPLED;
      const attributes: Attributes = { [A.ATTR_TTS_SAMPLING_FORCED]: forced };
      return { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes };
    }
    return this.decide(ctx, traceId) ? SAMPLED : RECORD_ONLY;
  }

  toString(): string {
    return `HeadSampler{${this.name}, ratio=${this.control.ratio}}`;
  }
}
