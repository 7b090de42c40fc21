// The spans of one synthesis. The stages run on an inference thread, which reports their start
// and end times; the spans are made here, on the HTTP thread, with those times, so that one
// provider and one exporter serve the whole process.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { TtsError } from '../errors.js';
import type { PhonemizedEvent, SentenceEvent } from '../pool/messages.js';
import {
  ATTR_AUDIO_BYTES, ATTR_AUDIO_DURATION_S, ATTR_AUDIO_FORMAT, ATTR_ERROR_TYPE, ATTR_EXECUTION_PROVIDER,
  ATTR_PHONEME_COUNT, ATTR_PHONEME_MISSING_COUNT, ATTR_QUEUE_WAIT_MS, ATTR_REALTIME_FACTOR, ATTR_SENTENCE_COUNT,
  ATTR_SENTENCE_INDEX, ATTR_TEXT_LENGTH, ATTR_TIME_TO_FIRST_CHUNK_MS, SPAN_ENCODE, SPAN_INFERENCE, SPAN_PHONEMIZE,
  SPAN_SYNTHESIZE,
} from './attributes.js';
import { hrTimeFromEpochMs as at, nowEpochMs } from './time.js';

export class SynthesisTrace {
  private readonly root: Span;
  private readonly ctx: Context;
  private readonly joinedMs = Date.now();
  private startedMs: number | undefined;
  private firstChunkMs: number | undefined;
  private computeMs = 0;
  private audioSeconds = 0;

  constructor(private readonly tracer: Tracer, parent: Context, attributes: Attributes, private readonly provider: () => string) {
    // SERVER: the worker's entry for the caller's trace (the proxy's CLIENT span is the parent),
    // so Zipkin draws the proxy -> upstream-tts dependency. It spans queueing and processing.
    this.root = tracer.startSpan(SPAN_SYNTHESIZE, { kind: SpanKind.SERVER, attributes, startTime: at(nowEpochMs()) }, parent);
    this.ctx = trace.setSpan(parent, this.root);
  }

  get traceId(): string {
    return this.root.spanContext().traceId;
  }

  started(): void {
    this.startedMs = Date.now();
    this.root.setAttribute(ATTR_QUEUE_WAIT_MS, this.startedMs - this.joinedMs);
  }

  phonemized(e: PhonemizedEvent, textLength: number): void {
    this.root.setAttribute(ATTR_SENTENCE_COUNT, e.sentences);
    this.root.setAttribute(ATTR_PHONEME_COUNT, e.phonemes);
    this.tracer.startSpan(SPAN_PHONEMIZE, {
      startTime: at(e.startMs),
      attributes: {
        [ATTR_TEXT_LENGTH]: textLength,
        [ATTR_SENTENCE_COUNT]: e.sentences,
        [ATTR_PHONEME_COUNT]: e.phonemes,
        [ATTR_PHONEME_MISSING_COUNT]: e.missing.length,
      },
    }, this.ctx).end(at(e.endMs));
  }

  sentence(e: SentenceEvent, seconds: number): void {
    const ms = e.endMs - e.startMs;
    this.computeMs += ms;
    this.audioSeconds += seconds;
    this.firstChunkMs ??= e.endMs;
    this.tracer.startSpan(SPAN_INFERENCE, {
      startTime: at(e.startMs),
      attributes: {
        [ATTR_SENTENCE_INDEX]: e.index,
        [ATTR_PHONEME_COUNT]: e.phonemes,
        [ATTR_AUDIO_DURATION_S]: seconds,
        [ATTR_REALTIME_FACTOR]: seconds > 0 ? ms / 1000 / seconds : 0,
        [ATTR_EXECUTION_PROVIDER]: this.provider(),
      },
    }, this.ctx).end(at(e.endMs));
  }

  /** Starts the tts.encode span; the caller ends it with the WAV's size. */
  encoding(): (bytes: number, seconds: number) => void {
    const span = this.tracer.startSpan(SPAN_ENCODE, { attributes: { [ATTR_AUDIO_FORMAT]: 'wav' }, startTime: at(nowEpochMs()) }, this.ctx);
    return (bytes, seconds) => {
      span.setAttributes({ [ATTR_AUDIO_BYTES]: bytes, [ATTR_AUDIO_DURATION_S]: seconds });
      span.end(at(nowEpochMs()));
    };
  }

  succeeded(bytes: number): void {
    const attrs: Attributes = {
      [ATTR_AUDIO_DURATION_S]: this.audioSeconds,
      [ATTR_AUDIO_BYTES]: bytes,
      [ATTR_AUDIO_FORMAT]: 'wav',
      // Inference time over audio time, the figure Piper logs; queueing and encoding excluded.
      [ATTR_REALTIME_FACTOR]: this.audioSeconds > 0 ? this.computeMs / 1000 / this.audioSeconds : 0,
    };
    if (this.startedMs !== undefined && this.firstChunkMs !== undefined) {
      attrs[ATTR_TIME_TO_FIRST_CHUNK_MS] = this.firstChunkMs - this.startedMs;
    }
    this.root.setAttributes(attrs);
    this.root.end(at(nowEpochMs()));
  }

  failed(err: TtsError): void {
    this.root.setAttribute(ATTR_ERROR_TYPE, err.code);
    // A user's bad input is answered correctly; only the server's own failures are errors.
    if (!err.isUserError && err.code !== 'cancelled') this.root.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    this.root.end(at(nowEpochMs()));
  }
}
