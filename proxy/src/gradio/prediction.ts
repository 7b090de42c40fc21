// One Gradio prediction = one `gradio.predict` span, child of the SERVER span of the request
// that submitted it, living until the completion message arrives — usually on another HTTP
// request (the session's queue/data stream or GET /call/<api>/<event_id>). Children:
// gradio.queue (submit → process_starts) and gradio.process (process_starts → completion).
// The queue phase exists only once the app took the work: a submission it refused (queue_full,
// a bad session) waited in no queue, and a queue span for it would skew queue-wait percentiles.
// So the span opens, dated back to the submission, at the first sign of acceptance (enqueued()).
import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import * as A from '../spans/attributes.js';
import type { AppView } from './context.js';
import { toHrTime } from '../spans/time.js';
import type { OwnedSpanOptions } from '../spans/tracer.js';
import { guard, guardedAsync, Site } from '../guard.js';
import { OTHER } from './names.js';

export type Millis = number;

export interface PredictionInit {
  readonly tracer: Tracer;
  readonly parent: Context;
  /** Epoch ms (fractional) when the submitting request arrived. */
  readonly startedAt: Millis;
  readonly apiName?: string;
  /** Made for this prediction alone: its span takes the object itself (OwnedSpanOptions). */
  readonly attributes: Attributes;
  /** Whether the transport queues (reports process_starts) or not (/call, direct predict). */
  readonly queued: boolean;
  readonly sessionKey?: string;
  readonly eventId?: string;
  /** The replica that serves it: output probes go there. */
  readonly app: AppView;
}

/** What finish() returns when the spans ended in its own turn. */
const DONE: Promise<void> = Promise.resolve();

export const now = (): Millis => performance.timeOrigin + performance.now();

export class Prediction {
  readonly span: Span;
  readonly sessionKey?: string;
  readonly eventId?: string;
  readonly app: AppView;
  /**
   * The queue phase has begun. Its span is made when the phase ends, dated back to the
   * submission: a prediction waits for its result for seconds, often minutes, and a span held
   * open all that time was a second span per waiting prediction for the collector to copy and
   * promote (issue 10). Its times and parent are the same either way.
   */
  private queueOpen = false;
  private processSpan?: Span;
  private processStartedAt?: Millis;
  private firstChunkAt?: Millis;
  private chunks = 0;
  /** No more messages are applied once finishing starts… */
  private closing = false;
  /** …but attributes may still be set until the span has really ended (probes land late). */
  private ended = false;
  /** Work (e.g. output probes) that must finish before the span ends; most predictions have none. */
  private pending?: Promise<unknown>[];
  private readonly startedAt: Millis;
  outputDurationS?: number;
  /** When the last queue message of this prediction passed (any stream). */
  lastMessageAt?: Millis;

  private readonly tracer: Tracer;
  private readonly queued: boolean;
  /**
   * The context children start in: the submitting request's, with this span in place of its
   * SERVER span. Only this is kept of `init`: a prediction may wait minutes for its result (or,
   * orphaned, until the table evicts it), and holding the whole init held the request's ended
   * SERVER span and a second copy of the attributes for as long (issue 10).
   */
  private readonly childContext: Context;

  constructor(init: PredictionInit) {
    this.tracer = init.tracer;
    this.queued = init.queued;
    this.startedAt = init.startedAt;
    this.sessionKey = init.sessionKey;
    this.eventId = init.eventId;
    this.app = init.app;
    // apiName is the schema's (or `other`, which is no name worth a span name of its own).
    const name = init.apiName && init.apiName !== OTHER ? `${A.SPAN_GRADIO_PREDICT} ${init.apiName}` : A.SPAN_GRADIO_PREDICT;
    // The attributes were made for this span alone (newPrediction).
    const options: OwnedSpanOptions = { kind: SpanKind.INTERNAL, startTime: toHrTime(init.startedAt), attributes: init.attributes, attributesOwned: true };
    this.span = init.tracer.startSpan(name, options, init.parent);
    this.childContext = trace.setSpan(init.parent, this.span);
  }

  /** The app accepted the submission into its queue (an event id, a queue message): the queue phase began at submission. */
  enqueued(): void {
    if (!this.queued || this.queueOpen || this.processSpan || this.closing) return;
    this.queueOpen = true;
  }

  /** The queue phase ended at `at`: its span, from the submission to then. */
  private endQueue(at: Millis): void {
    if (!this.queueOpen) return;
    this.queueOpen = false;
    this.child(A.SPAN_GRADIO_QUEUE, this.startedAt).end(toHrTime(at));
  }

  get isEnded(): boolean {
    return this.closing;
  }

  private child(name: string, start: Millis): Span {
    return this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: toHrTime(start) }, this.childContext);
  }

  set(attrs: Attributes): void {
    if (!this.ended) this.span.setAttributes(attrs);
  }

  estimation(rank: number | undefined, queueSize: number | undefined, etaS: number | undefined, at: Millis = now()): void {
    const attrs: Attributes = {};
    if (rank !== undefined) attrs[A.ATTR_GRADIO_QUEUE_RANK] = rank;
    if (queueSize !== undefined) attrs[A.ATTR_GRADIO_QUEUE_SIZE] = queueSize;
    if (etaS !== undefined) attrs[A.ATTR_GRADIO_QUEUE_ETA_S] = etaS;
    this.set(attrs);
    if (!this.closing) this.span.addEvent(A.EVENT_GRADIO_ESTIMATION, attrs, toHrTime(at));
  }

  processStarts(at: Millis = now()): void {
    if (this.closing || this.processSpan) return;
    this.enqueued();
    this.endQueue(at);
    this.processStartedAt = at;
    this.processSpan = this.child(A.SPAN_GRADIO_PROCESS, at);
  }

  chunk(at: Millis = now()): void {
    if (this.closing) return;
    this.chunks++;
    if (this.firstChunkAt === undefined) {
      this.firstChunkAt = at;
      this.span.addEvent(A.EVENT_GRADIO_FIRST_CHUNK, {}, toHrTime(at));
      this.span.setAttribute(A.ATTR_TTS_TIME_TO_FIRST_CHUNK_MS, Math.round((at - this.startedAt) * 10) / 10);
    }
  }

  // Every time on these spans is explicit and from now() (performance time): the SDK's default
  // clock is Date-anchored, and an event on it could land outside its own span (issue 11).
  log(level: string, at: Millis = now()): void {
    if (!this.closing) this.span.addEvent(A.EVENT_GRADIO_LOG, { [A.ATTR_GRADIO_LOG_LEVEL]: level }, toHrTime(at));
  }

  event(name: string, attrs: Attributes = {}, at: Millis = now()): void {
    if (!this.closing) this.span.addEvent(name, attrs, toHrTime(at));
  }

  waitFor(p: Promise<unknown>): void {
    (this.pending ??= []).push(p.catch(() => undefined));
  }

  /**
   * Ends every span. `errorType` marks it failed; cancellations and expiry say why in
   * gradio.end_reason. Pending probes get their chance first, but the span's end time is the
   * moment of completion, not of the probe.
   */
  finish(reason: string, errorType?: string, message?: string, at: Millis = now()): Promise<void> {
    // Called with `void` from many places: it must never reject. With nothing pending (the
    // usual case) the spans end in this turn, without a promise chain per prediction (issue 10).
    if (this.closing) return DONE;
    const pending = this.pending;
    if (!pending?.length) {
      guard(Site.PREDICTION_END, () => this.close(reason, errorType, message, at));
      return DONE;
    }
    return guardedAsync(Site.PREDICTION_END, async () => {
      this.begin(reason);
      await Promise.all(pending);
      this.close(reason, errorType, message, at);
    }).then(() => undefined);
  }

  /** No more messages from here on. A completion without process_starts (e.g. a cached result) still had a queue phase. */
  private begin(reason: string): void {
    if (reason === A.EndReason.COMPLETED) this.enqueued();
    this.closing = true;
  }

  private close(reason: string, errorType: string | undefined, message: string | undefined, at: Millis): void {
    if (this.ended) return;
    if (!this.closing) this.begin(reason);
    this.endQueue(at);
    if (this.chunks === 0 && reason === A.EndReason.COMPLETED) this.chunks = 1;
    const attrs: Attributes = { [A.ATTR_GRADIO_END_REASON]: reason, [A.ATTR_GRADIO_OUTPUT_CHUNKS]: this.chunks };
    if (this.firstChunkAt === undefined && reason === A.EndReason.COMPLETED) {
      // The only chunk is the final result: time to first chunk is time to completion.
      attrs[A.ATTR_TTS_TIME_TO_FIRST_CHUNK_MS] = Math.round((at - this.startedAt) * 10) / 10;
    }
    const processMs = this.processStartedAt !== undefined ? at - this.processStartedAt : at - this.startedAt;
    // Processing that started and ended in one read of the app's stream measures 0 ms: below
    // what the proxy can see, so no figure rather than a claim of instant synthesis. Three
    // significant digits, so a short but measured time is never rounded to 0.
    if (this.outputDurationS && this.outputDurationS > 0 && processMs > 0) {
      attrs[A.ATTR_TTS_REALTIME_FACTOR] = Number((processMs / 1000 / this.outputDurationS).toPrecision(3));
    }
    this.span.setAttributes(attrs);
    for (const s of [this.processSpan, this.span]) {
      if (!s) continue;
      if (errorType) {
        s.setAttribute(A.ATTR_ERROR_TYPE, errorType);
        s.setStatus({ code: SpanStatusCode.ERROR, message: message ?? errorType });
      }
    }
    this.ended = true;
    this.processSpan?.end(toHrTime(at));
    this.span.end(toHrTime(at));
  }
}

/**
 * Runs `fn` on a prediction once its span exists (and unless it has ended). Guarded: the many
 * places that do this with `void` can never leave a rejection unhandled.
 */
export function whenReady(ready: Promise<Prediction | undefined>, fn: (p: Prediction) => unknown): void {
  void guardedAsync(Site.PREDICTION_END, async () => {
    const p = await ready;
    if (p && !p.isEnded) await fn(p);
  });
}
