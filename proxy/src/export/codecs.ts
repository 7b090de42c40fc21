// Span batches to wire bytes. Encoding happens once, when a batch is formed: the queue then holds,
// retries and spools bytes, never live span objects (smaller, and what a spool can keep).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface Codec {
  /** Content-Type of the request body. */
  readonly contentType: string;
  /** File extension of a spooled batch, so a spool survives a change of encoding. */
  readonly ext: string;
  encode(spans: ReadableSpan[]): Uint8Array;
}

const ZIPKIN_KIND: Partial<Record<SpanKind, string>> = {
  [SpanKind.CLIENT]: 'CLIENT', [SpanKind.SERVER]: 'SERVER', [SpanKind.PRODUCER]: 'PRODUCER', [SpanKind.CONSUMER]: 'CONSUMER',
};

const SERVICE_NAME = 'service.name';

/**
 * Zipkin v2 JSON, field for field what @opentelemetry/exporter-zipkin's transform produces
 * (tags from attributes then resource attributes, `otel.status_code`, `error` = the status
 * message), so traces look the same as with the stock exporter, which has no retry.
 */
export function zipkinCodec(defaultServiceName: string): Codec {
  return {
    contentType: 'application/json',
    ext: 'zipkin.json',
    encode(spans) {
      const out = spans.map((span) => {
        const tags: Record<string, string> = {};
        for (const [k, v] of Object.entries(span.attributes)) if (v !== undefined) tags[k] = String(v);
        if (span.status.code !== SpanStatusCode.UNSET) tags['otel.status_code'] = SpanStatusCode[span.status.code];
        if (span.status.code === SpanStatusCode.ERROR && span.status.message) tags.error = span.status.message;
        if (span.droppedAttributesCount) tags['otel.dropped_attributes_count'] = String(span.droppedAttributesCount);
        if (span.droppedEventsCount) tags['otel.dropped_events_count'] = String(span.droppedEventsCount);
        if (span.droppedLinksCount) tags['otel.dropped_links_count'] = String(span.droppedLinksCount);
        for (const [k, v] of Object.entries(span.resource.attributes)) if (v !== undefined) tags[k] = String(v);
        const serviceName = String(span.attributes[SERVICE_NAME] ?? span.resource.attributes[SERVICE_NAME] ?? defaultServiceName);
        return {
          traceId: span.spanContext().traceId,
          parentId: span.parentSpanContext?.spanId,
          name: span.name,
          id: span.spanContext().spanId,
          kind: ZIPKIN_KIND[span.kind],
          timestamp: hrTimeToMicroseconds(span.startTime),
          duration: Math.round(hrTimeToMicroseconds(span.duration)),
          localEndpoint: { serviceName },
          tags,
          annotations: span.events.length
            ? span.events.map((e) => ({ timestamp: Math.round(hrTimeToMicroseconds(e.time)), value: e.name }))
            : undefined,
        };
      });
      return Buffer.from(JSON.stringify(out), 'utf8');
    },
  };
}

/** OTLP/HTTP, with the official OpenTelemetry serializers (the ones the stock OTLP exporters use). */
export function otlpCodec(protocol: 'http/protobuf' | 'http/json'): Codec {
  if (protocol === 'http/json') {
    return { contentType: 'application/json', ext: 'otlp.json', encode: (spans) => JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array() };
  }
  return { contentType: 'application/x-protobuf', ext: 'otlp.pb', encode: (spans) => ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array() };
}

/** Spool file extension → content type, for batches written by an earlier run. */
export function contentTypeOfExt(ext: string): string | undefined {
  switch (ext) {
    case 'zipkin.json': case 'otlp.json': return 'application/json';
    case 'otlp.pb': return 'application/x-protobuf';
    default: return undefined;
  }
}
