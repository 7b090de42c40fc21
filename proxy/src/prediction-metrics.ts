// Prediction metrics from prediction spans. The Gradio code already measures everything in its
// spans (gradio.predict, gradio.queue, gradio.process and their attributes), so the metrics are
// read from the spans as they end: one source of truth, and gradio/ never touches prom-client.
// This is a span processor: it sees every span, sampled or not (the proxy records all of them).
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { exemplarLabels, LabelLimiter, type Metrics } from './metrics.js';
import type { ResolvedHistogram } from './resolved-histogram.js';
import * as A from './spans/attributes.js';

interface Children {
  queueS?: number;
  processS?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class PredictionMetrics implements SpanProcessor {
  // gradio.queue/process end before their gradio.predict (prediction.ts ends children first);
  // their durations wait, keyed by the predict span id, for the predict's labels. The latest
  // prediction's wait in a slot of its own, the others in the map: a prediction abandoned or
  // completed ends its children right before itself, and then the map is not touched. A map that
  // is written and emptied once per prediction reallocates its table each time, in the old
  // generation where a long-lived map's tables go (issue 10).
  private slot?: { readonly parent: string; readonly c: Children };
  private readonly children = new Map<string, Children>();
  private readonly apiNames = new LabelLimiter(100);
  // error.type is one of ours or an HTTP status the app answered: bounded already, capped anyway.
  private readonly errorTypes = new LabelLimiter(64);

  constructor(
    private readonly metrics: Metrics,
    /** Whether the trace will reach the backend (see TailSampler.willKeep). */
    private readonly willKeep: (traceId: string, sampled: boolean) => boolean,
    private readonly maxPending = 10_000,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (span.name === A.SPAN_GRADIO_QUEUE || span.name === A.SPAN_GRADIO_PROCESS) {
      const parent = span.parentSpanContext?.spanId;
      if (!parent) return;
      const c = this.childrenOf(parent);
      const s = hrTimeToMilliseconds(span.duration) / 1000;
      if (span.name === A.SPAN_GRADIO_QUEUE) c.queueS = s;
      else c.processS = s;
      return;
    }
    if (span.name !== A.SPAN_GRADIO_PREDICT && !span.name.startsWith(`${A.SPAN_GRADIO_PREDICT} `)) return;
    const sc = span.spanContext();
    const c = this.takeChildren(sc.spanId);
    const a = span.attributes;
    const api = this.apiNames.value(str(a[A.ATTR_GRADIO_API_NAME]));
    const arm = str(a[A.ATTR_TTS_UPSTREAM_ARM]) ?? 'default';
    const outcome = str(a[A.ATTR_GRADIO_END_REASON]) ?? 'unknown';
    const exemplar = exemplarLabels(this.willKeep(sc.traceId, (sc.traceFlags & 1) === 1), sc.traceId, sc.spanId);
    // Each label set written out whole, in one key order per histogram: no spreads per observation.
    const shared = { gradio_api_name: api, tts_upstream_arm: arm };
    const observe = (h: ResolvedHistogram<string>, value: number | undefined, labels: Record<string, string>) => {
      if (value === undefined || value < 0) return;
      h.observe({ labels, value, exemplarLabels: exemplar });
    };
    observe(this.metrics.predictionDuration, hrTimeToMilliseconds(span.duration) / 1000,
      { gradio_api_name: api, tts_upstream_arm: arm, outcome, error_type: this.errorTypes.value(str(a[A.ATTR_ERROR_TYPE])) });
    observe(this.metrics.queueWait, c?.queueS, shared);
    observe(this.metrics.processingDuration, c?.processS, { gradio_api_name: api, tts_upstream_arm: arm, outcome });
    const ttfc = num(a[A.ATTR_TTS_TIME_TO_FIRST_CHUNK_MS]);
    observe(this.metrics.timeToFirstChunk, ttfc === undefined ? undefined : ttfc / 1000, shared);
    observe(this.metrics.inputAudioDuration, num(a[A.ATTR_AUDIO_INPUT_DURATION_S]), shared);
    observe(this.metrics.realtimeFactor, num(a[A.ATTR_TTS_REALTIME_FACTOR]), shared);
  }

  /** The record of `parent`'s children, in the slot from now on (the slot's last holder moves to the map). */
  private childrenOf(parent: string): Children {
    const slot = this.slot;
    if (slot?.parent === parent) return slot.c;
    let c = this.children.get(parent);
    if (c) this.children.delete(parent);
    else c = {};
    if (slot) {
      this.children.set(slot.parent, slot.c);
      if (this.children.size > this.maxPending) this.children.delete(this.children.keys().next().value as string);
    }
    this.slot = { parent, c };
    return c;
  }

  private takeChildren(parent: string): Children | undefined {
    const slot = this.slot;
    if (slot?.parent === parent) {
      this.slot = undefined;
      return slot.c;
    }
    if (!this.children.size) return undefined;
    const c = this.children.get(parent);
    if (c) this.children.delete(parent);
    return c;
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
