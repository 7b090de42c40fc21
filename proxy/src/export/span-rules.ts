// The backend's rules for one span, checked before it is encoded: a backend that refuses a batch
// refuses every client's spans in it for the sake of one, so a span that would break the rules is
// dropped alone (and counted) instead. Ids are ours or validated on the way in; this is the last
// line, for whatever slips past (a bug, an instrumentation of the future).
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isB3TraceId, isSpanId, isTraceId128 } from '../../../common/propagation/ids.js';

/** Generous bounds: far above what the proxy writes, far below what hurts a backend's storage. */
export const MAX_NAME_CHARS = 1024;
export const MAX_TAG_KEY_CHARS = 256;
export const MAX_TAG_VALUE_CHARS = 64 * 1024;

export type SpanRule = (span: ReadableSpan) => boolean;

function idsValid(span: ReadableSpan, traceId: (s: string) => boolean): boolean {
  const sc = span.spanContext();
  const parent = span.parentSpanContext?.spanId;
  return traceId(sc.traceId) && isSpanId(sc.spanId) && (parent === undefined || isSpanId(parent));
}

function sane(span: ReadableSpan): boolean {
  if (typeof span.name !== 'string' || span.name.length > MAX_NAME_CHARS) return false;
  const attrs = span.attributes;
  for (const k in attrs) {
    if (k.length === 0 || k.length > MAX_TAG_KEY_CHARS) return false;
    const v = attrs[k];
    // Numbers and booleans are short; only strings and arrays can be long.
    if ((typeof v === 'string' || Array.isArray(v)) && String(v).length > MAX_TAG_VALUE_CHARS) return false;
  }
  const start = hrTimeToMicroseconds(span.startTime);
  const duration = hrTimeToMicroseconds(span.duration);
  if (!Number.isFinite(start) || start < 1 || !Number.isFinite(duration) || duration < 0) return false;
  return span.events.every((e) => { const t = hrTimeToMicroseconds(e.time); return Number.isFinite(t) && t >= 1 && e.name.length > 0; });
}

/**
 * Zipkin v2 (zipkin2.Span and its JSON decoder): trace id 16 or 32 lower hex, span and parent
 * ids 16 lower hex, none all zero; a positive timestamp; annotations with a timestamp and value.
 * The codec writes integral microseconds, a duration of at least 1 and a non-empty serviceName.
 */
export const zipkinSpanRule: SpanRule = (span) => idsValid(span, isB3TraceId) && sane(span);

/** OTLP: trace id 16 bytes, span ids 8 bytes (hex in the SDK; anything else encodes as garbage). */
export const otlpSpanRule: SpanRule = (span) => idsValid(span, isTraceId128) && sane(span);
