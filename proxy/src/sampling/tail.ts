// Local tail keep (design §4). The proxy sees each of its requests whole, so for a trace the head
// sampler dropped it holds the ended spans until every span it opened in that trace has ended,
// then keeps the trace if any span failed or a request was slow. Head-sampled (and forced) spans
// pass straight through. A Gradio prediction's spans end on a later request than their SERVER
// span (design §3), so "ended" means the trace's local open-span count reached zero, with a
// maximum wait. Memory is capped three ways (traces, spans, spans per trace); every overflow is
// counted, and an evicted trace is decided at once on what has ended so far. Keeps are budgeted per
// second, like forced traces: at a low head ratio, an error storm (or a client abandoning its
// predictions by the thousand) would otherwise export every trace, which is the load the ratio was
// set to shed, and the backend would get a flood of one failure. A held span's start
// attributes may not be built yet (spans/tracer.ts, `attributesLater`): the decision needs none
// of them, and a span leaves for export only through `fillAttributes`.
import { SpanKind, SpanStatusCode, type Attributes, type Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as A from '../spans/attributes.js';
import { guardedInterval, Site } from '../guard.js';
import { TokenBucket } from './bucket.js';
import { fillAttributes } from '../spans/tracer.js';

export type KeepReason = 'head' | 'forced' | 'error' | 'slow';
export type DecideCause = 'complete' | 'timeout' | 'evicted' | 'flush';
export type OverflowLimit = 'traces' | 'spans' | 'spans_per_trace';

export interface TailCounters {
  /** One per trace: kept (why) or dropped. */
  decided(kept: boolean, reason: KeepReason | 'unsampled' | 'rate_limited'): void;
  /** A trace decided before all its spans ended. */
  early(cause: Exclude<DecideCause, 'complete'>): void;
  /** A cap was hit; `spans` is the number of spans it cost (0 for an early decision). */
  overflow(limit: OverflowLimit, spans: number): void;
  /** A span that ended after its trace was decided. */
  late(outcome: 'kept' | 'dropped' | 'error_kept' | 'error_rate_limited'): void;
}

export interface TailOptions {
  /** SERVER or gradio.predict spans at least this long keep their trace; 0 disables. */
  readonly slowMs: number;
  readonly maxWaitMs: number;
  readonly maxTraces: number;
  readonly maxSpans: number;
  readonly maxSpansPerTrace: number;
  /** Traces (and lone late failures) the tail may keep per second, with a second of burst; 0 or absent: no budget. */
  readonly maxKeepsPerSecond?: number;
  readonly now?: () => number;
  /** How often held traces are checked against maxWaitMs (default 1 s). */
  readonly sweepMs?: number;
}

export type SpanSink = (spans: ReadableSpan[]) => void;

interface Pending {
  open: number;
  /**
   * Emptied when the trace is decided: a map keeps a removed entry reachable from the hash tables
   * it left behind when it grew or shrank (old-generation garbage until the next full collection),
   * and every span an entry still held was promoted with all it referenced (issue 10).
   */
  readonly spans: ReadableSpan[];
  error: boolean;
  slow: boolean;
  readonly createdAt: number;
}

const isSampled = (s: { spanContext(): { traceFlags: number } }) => (s.spanContext().traceFlags & 1) === 1;
const isLocalRoot = (s: ReadableSpan) => !s.parentSpanContext || s.parentSpanContext.isRemote === true;
const isError = (s: ReadableSpan) => s.status.code === SpanStatusCode.ERROR;

/**
 * A kept trace's local root says why it was kept, so a reader knows why the app's spans are
 * missing (the app was told "not sampled"). A held span is the tail's alone once it has ended (the
 * other processors read it during their onEnd), so the reason goes into its own attributes. A view
 * over it (a prototype-chained object) had another shape than every other span, and each encoder
 * and export rule after it went polymorphic: at ratio 0.01 that was a tenth of a kept request's
 * CPU (issue 10).
 */
function addReason(span: ReadableSpan, reason: KeepReason): ReadableSpan {
  fillAttributes(span);
  (span.attributes as Attributes)[A.ATTR_TTS_SAMPLING_TAIL_REASON] = reason;
  return span;
}

export class TailSampler implements SpanProcessor {
  private readonly pending = new Map<string, Pending>();
  /** Traces kept by the tail: their late spans are kept too. Insertion order = expiry order. */
  private readonly kept = new Map<string, number>();
  private held = 0;
  private readonly now: () => number;
  private readonly budget: TokenBucket | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: TailOptions, private readonly sink: SpanSink, private readonly counters: TailCounters) {
    this.now = opts.now ?? Date.now;
    this.budget = opts.maxKeepsPerSecond ? new TokenBucket(opts.maxKeepsPerSecond, this.now) : undefined;
    this.sweeper = guardedInterval(Site.TAIL_SWEEP, () => this.sweep(), opts.sweepMs ?? 1000);
  }

  /** Traces and spans held right now (gauges). */
  get heldTraces(): number { return this.pending.size; }
  get heldSpans(): number { return this.held; }

  /**
   * Whether a trace is, as far as is known now, going to be exported: head-sampled, kept by the
   * tail, or held with a reason to keep it. Metrics use it so that an exemplar only ever names a
   * trace that the backend will have.
   */
  willKeep(traceId: string, sampledFlag: boolean): boolean {
    if (sampledFlag) return true;
    if (this.isKept(traceId)) return true;
    const p = this.pending.get(traceId);
    return !!p && (p.error || p.slow) && (!this.budget || this.budget.ready());
  }

  // A trace is held or marked kept, never both (`decide` moves it from one to the other), so the
  // held traces are looked up first: every span of a held trace but its first skips the kept map
  // and the clock, which a join's four spans asked eight times (issue 10).
  onStart(span: Span, _ctx: Context): void {
    if (isSampled(span)) return;
    const id = span.spanContext().traceId;
    let p = this.pending.get(id);
    if (!p) {
      if (this.isKept(id)) return;
      p = { open: 0, spans: [], error: false, slow: false, createdAt: this.now() };
      this.pending.set(id, p);
      if (this.pending.size > this.opts.maxTraces) this.evictOldest('traces');
    }
    p.open++;
  }

  onEnd(span: ReadableSpan): void {
    if (isSampled(span)) {
      if (isLocalRoot(span)) this.counters.decided(true, span.attributes[A.ATTR_TTS_SAMPLING_FORCED] ? 'forced' : 'head');
      this.sink([span]);
      return;
    }
    const id = span.spanContext().traceId;
    const p = this.pending.get(id);
    if (!p) {
      if (this.isKept(id)) {
        this.counters.late('kept');
        this.sink([fillAttributes(span)]);
        return;
      }
      // Its trace was decided (dropped) before this span ended. A failure is still worth having,
      // even without the spans that were dropped: a failed prediction is not lost while the keep
      // budget lasts, and is counted when it is spent.
      if (isError(span)) {
        if (this.budget && !this.budget.take()) {
          this.counters.late('error_rate_limited');
          return;
        }
        this.counters.late('error_kept');
        this.sink([fillAttributes(span)]);
      } else {
        this.counters.late('dropped');
      }
      return;
    }
    if (isError(span)) p.error = true;
    if (this.isSlow(span)) p.slow = true;
    if (p.spans.length < this.opts.maxSpansPerTrace) {
      p.spans.push(span);
      this.held++;
    } else {
      this.counters.overflow('spans_per_trace', 1);
    }
    p.open--;
    if (p.open <= 0) this.decide(id, p, 'complete');
    while (this.held > this.opts.maxSpans && this.pending.size > 0) this.evictOldest('spans');
  }

  private isSlow(span: ReadableSpan): boolean {
    if (this.opts.slowMs <= 0) return false;
    if (span.kind !== SpanKind.SERVER && !span.name.startsWith(A.SPAN_GRADIO_PREDICT)) return false;
    return hrTimeToMilliseconds(span.duration) >= this.opts.slowMs;
  }

  private isKept(traceId: string): boolean {
    const until = this.kept.get(traceId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.kept.delete(traceId);
    return false;
  }

  private evictOldest(limit: OverflowLimit): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    const [id, p] = first.value;
    this.counters.overflow(limit, 0);
    this.decide(id, p, 'evicted');
  }

  private decide(id: string, p: Pending, cause: DecideCause): void {
    this.pending.delete(id);
    this.held -= p.spans.length;
    if (cause !== 'complete') this.counters.early(cause);
    const reason: KeepReason | undefined = p.error ? 'error' : p.slow ? 'slow' : undefined;
    const refused = reason !== undefined && this.budget !== undefined && !this.budget.take();
    this.counters.decided(reason !== undefined && !refused, refused ? 'rate_limited' : reason ?? 'unsampled');
    if (!reason || refused) {
      p.spans.length = 0;
      return;
    }
    this.kept.set(id, this.now() + this.opts.maxWaitMs);
    if (this.kept.size > this.opts.maxTraces) this.kept.delete(this.kept.keys().next().value as string);
    if (p.spans.length) this.sink(p.spans.map((s) => (isLocalRoot(s) ? addReason(s, reason) : fillAttributes(s))));
    p.spans.length = 0;
  }

  /** Decides traces held longer than maxWaitMs; forgets expired "kept" marks. */
  sweep(): void {
    const t = this.now();
    for (const [id, p] of this.pending) {
      if (t - p.createdAt < this.opts.maxWaitMs) break;
      this.decide(id, p, 'timeout');
    }
    for (const [id, until] of this.kept) {
      if (until > t) break;
      this.kept.delete(id);
    }
  }

  /** Decides every held trace now, on what has ended (shutdown: nothing more will end). */
  async forceFlush(): Promise<void> {
    for (const [id, p] of [...this.pending]) this.decide(id, p, 'flush');
  }

  async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.forceFlush();
  }
}
