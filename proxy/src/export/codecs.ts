// Span batches to wire bytes. Encoding happens once, when a batch is formed: the queue then holds,
// retries and spools bytes, never live span objects (smaller, and what a spool can keep).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { splitOtlpProtobuf } from './otlp-protobuf-split.js';
import { otlpSpanRule, zipkinSpanRule, type SpanRule } from './span-rules.js';

export interface Codec {
  /** Content-Type of the request body. */
  readonly contentType: string;
  /** File extension of a spooled batch, so a spool survives a change of encoding. */
  readonly ext: string;
  encode(spans: ReadableSpan[]): Uint8Array;
  /** The backend's rules for one span: one that fails them is dropped before encoding. */
  readonly admits?: SpanRule;
  /**
   * Splits an encoded batch in two halves of spans (for bisecting a batch the backend refused),
   * or undefined when it holds one span or this encoding cannot be split.
   */
  split?(body: Uint8Array): [Split, Split] | undefined;
}

export interface Split {
  readonly body: Uint8Array;
  readonly spans: number;
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
  // Every span of the process shares one resource: its tags are made once, not per span.
  const resourceTags = new WeakMap<ReadableSpan['resource'], readonly (readonly [string, string])[]>();
  const tagsOf = (r: ReadableSpan['resource']) => {
    let list = resourceTags.get(r);
    if (!list) {
      list = Object.entries(r.attributes).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)] as const);
      // A resource still detecting attributes is read afresh until it has them all.
      if (!r.asyncAttributesPending) resourceTags.set(r, list);
    }
    return list;
  };
  return {
    contentType: 'application/json',
    ext: 'zipkin.json',
    admits: zipkinSpanRule,
    split: splitJsonArray,
    encode(spans) {
      const out = spans.map((span) => {
        const tags: Record<string, string> = {};
        for (const [k, v] of Object.entries(span.attributes)) if (v !== undefined) tags[k] = String(v);
        if (span.status.code !== SpanStatusCode.UNSET) tags['otel.status_code'] = SpanStatusCode[span.status.code];
        if (span.status.code === SpanStatusCode.ERROR && span.status.message) tags.error = span.status.message;
        if (span.droppedAttributesCount) tags['otel.dropped_attributes_count'] = String(span.droppedAttributesCount);
        if (span.droppedEventsCount) tags['otel.dropped_events_count'] = String(span.droppedEventsCount);
        if (span.droppedLinksCount) tags['otel.dropped_links_count'] = String(span.droppedLinksCount);
        for (const [k, v] of tagsOf(span.resource)) tags[k] = v;
        const serviceName = String(span.attributes[SERVICE_NAME] ?? span.resource.attributes[SERVICE_NAME] ?? defaultServiceName) || defaultServiceName;
        return {
          traceId: span.spanContext().traceId,
          parentId: span.parentSpanContext?.spanId,
          name: span.name,
          id: span.spanContext().spanId,
          kind: ZIPKIN_KIND[span.kind],
          // Zipkin: integral epoch microseconds, and a duration of at least 1 when set.
          timestamp: Math.round(hrTimeToMicroseconds(span.startTime)),
          duration: Math.max(1, Math.round(hrTimeToMicroseconds(span.duration))),
          localEndpoint: { serviceName },
          tags,
          annotations: span.events.length
            ? span.events.map((e) => ({ timestamp: Math.round(hrTimeToMicroseconds(e.time)), value: annotationValue(e) }))
            : undefined,
        };
      });
      return Buffer.from(JSON.stringify(out), 'utf8');
    },
  };
}

/**
 * A span event as a Zipkin annotation, whose only field is a string. The stock exporter keeps the
 * name alone, so a `gradio.log` warning could not be told from an info (issue 11); with attributes
 * it is `name|{attributes as JSON}|dropped count`, the OpenTelemetry Collector's encoding, which
 * its Zipkin receiver reads back. The attributes are the proxy's own (levels, counts, error types).
 */
function annotationValue(e: ReadableSpan['events'][number]): string {
  const attrs = e.attributes;
  if (!attrs || Object.keys(attrs).length === 0) return e.name;
  return `${e.name}|${JSON.stringify(attrs)}|${e.droppedAttributesCount ?? 0}`;
}

/** OTLP/HTTP, with the official OpenTelemetry serializers (the ones the stock OTLP exporters use). */
export function otlpCodec(protocol: 'http/protobuf' | 'http/json'): Codec {
  if (protocol === 'http/json') {
    return {
      contentType: 'application/json', ext: 'otlp.json', admits: otlpSpanRule, split: splitOtlpJson,
      encode: (spans) => JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array(),
    };
  }
  return {
    contentType: 'application/x-protobuf', ext: 'otlp.pb', admits: otlpSpanRule, split: splitOtlpProtobuf,
    encode: (spans) => ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array(),
  };
}

const utf8 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

/** A Zipkin v2 batch is a JSON array of spans. */
function splitJsonArray(body: Uint8Array): [Split, Split] | undefined {
  const spans: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
  if (!Array.isArray(spans) || spans.length < 2) return undefined;
  const mid = Math.ceil(spans.length / 2);
  const a = spans.slice(0, mid);
  const b = spans.slice(mid);
  return [{ body: utf8(a), spans: a.length }, { body: utf8(b), spans: b.length }];
}

interface OtlpJson { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] }

/** Keeps the spans whose running index (across resources and scopes) is in [from, to). */
function sliceOtlp(req: OtlpJson, from: number, to: number): OtlpJson {
  let i = 0;
  const resourceSpans = (req.resourceSpans ?? []).map((rs) => ({
    ...rs,
    scopeSpans: (rs.scopeSpans ?? []).map((ss) => {
      const spans = (ss.spans ?? []).filter(() => { const keep = i >= from && i < to; i++; return keep; });
      return { ...ss, spans };
    }).filter((ss) => ss.spans.length > 0),
  })).filter((rs) => rs.scopeSpans.length > 0);
  return { ...req, resourceSpans };
}

/** OTLP/JSON: spans nested under resources and scopes; each half keeps its own. */
function splitOtlpJson(body: Uint8Array): [Split, Split] | undefined {
  const req = JSON.parse(Buffer.from(body).toString('utf8')) as OtlpJson;
  const total = (req.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans?.length ?? 0), 0), 0);
  if (total < 2) return undefined;
  const mid = Math.ceil(total / 2);
  return [{ body: utf8(sliceOtlp(req, 0, mid)), spans: mid }, { body: utf8(sliceOtlp(req, mid, total)), spans: total - mid }];
}

/** Spool file extension → content type, for batches written by an earlier run. */
export function contentTypeOfExt(ext: string): string | undefined {
  switch (ext) {
    case 'zipkin.json': case 'otlp.json': return 'application/json';
    case 'otlp.pb': return 'application/x-protobuf';
    default: return undefined;
  }
}
