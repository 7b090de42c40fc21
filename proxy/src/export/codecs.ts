// Span batches to wire bytes. Encoding happens once, when a batch is formed: the queue then holds,
// retries and spools bytes, never live span objects (smaller, and what a spool can keep).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonBytes } from './json-bytes.js';
import type { Pieces } from './open-batch.js';
import { splitOtlpProtobuf } from './otlp-protobuf-split.js';
import { otlpSpanRule, zipkinSpanRule, type SpanRule } from './span-rules.js';

export interface Codec {
  /** Content-Type of the request body. */
  readonly contentType: string;
  /** File extension of a spooled batch, so a spool survives a change of encoding. */
  readonly ext: string;
  encode(spans: ReadableSpan[]): Uint8Array;
  /**
   * Encoding one span at a time, when the encoding allows it: the queue then encodes spans at the
   * end of the turn they ended in and holds bytes, not span objects (queue.ts, open-batch.ts).
   * The framing of the pieces of some spans equals `encode` of those spans.
   */
  readonly pieces?: Pieces<ReadableSpan>;
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
// `,"kind":"SERVER"` and the like, as bytes once.
const KIND_FIELD: Partial<Record<SpanKind, Uint8Array>> = Object.fromEntries(
  Object.entries(ZIPKIN_KIND).map(([k, name]) => [k, Buffer.from(`,"kind":"${name}"`, 'latin1')]),
);

/**
 * Zipkin v2 JSON, field for field what @opentelemetry/exporter-zipkin's transform produces
 * (tags from attributes then resource attributes, `otel.status_code`, `error` = the status
 * message), so traces look the same as with the stock exporter, which has no retry.
 *
 * Written straight into bytes (json-bytes.ts), not built as objects for JSON.stringify nor as
 * text: every span the proxy records passes here, and the intermediate objects, then the
 * intermediate strings, were the largest share of a request's garbage (issue 10). A string that
 * needs escaping goes through JSON.stringify, so the escaping is V8's.
 */
export function zipkinCodec(defaultServiceName: string): Codec {
  // Every span of the process shares one resource: its tags are made once, not per span.
  const resourceTags = new WeakMap<ReadableSpan['resource'], ResourceTags>();
  const tagsOf = (r: ReadableSpan['resource']): ResourceTags => {
    let tags = resourceTags.get(r);
    if (!tags) {
      const list = Object.entries(r.attributes).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)] as const);
      tags = { keys: new Set(list.map(([k]) => k)), json: Buffer.from(list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(','), 'utf8'), quoted: new Map() };
      // A resource still detecting attributes is read afresh until it has them all.
      if (!r.asyncAttributesPending) resourceTags.set(r, tags);
    }
    return tags;
  };
  // One buffer for whole batches (`encode`): written, then copied out, before the next.
  const whole = new JsonBytes();
  const encodeSpan = (w: JsonBytes, span: ReadableSpan): void => {
    const resource = tagsOf(span.resource);
    const sc = span.spanContext();
    const parent = span.parentSpanContext?.spanId;
    // Later tags win over attributes of the same key, as in the stock transform's object.
    let late: string[] = NO_TAGS;
    const code = span.status.code;
    if (code !== SpanStatusCode.UNSET || span.droppedAttributesCount || span.droppedEventsCount || span.droppedLinksCount) {
      late = [];
      if (code !== SpanStatusCode.UNSET) late.push('otel.status_code', SpanStatusCode[code]);
      if (code === SpanStatusCode.ERROR && span.status.message) late.push('error', span.status.message);
      if (span.droppedAttributesCount) late.push('otel.dropped_attributes_count', String(span.droppedAttributesCount));
      if (span.droppedEventsCount) late.push('otel.dropped_events_count', String(span.droppedEventsCount));
      if (span.droppedLinksCount) late.push('otel.dropped_links_count', String(span.droppedLinksCount));
    }
    const attrs = span.attributes;
    const serviceName = String(attrs[SERVICE_NAME] ?? span.resource.attributes[SERVICE_NAME] ?? defaultServiceName) || defaultServiceName;
    const kind = KIND_FIELD[span.kind];
    w.bytes(K_TRACE_ID);
    w.string(sc.traceId);
    if (parent !== undefined) {
      w.bytes(K_PARENT_ID);
      w.string(parent);
    }
    w.bytes(K_NAME);
    w.string(span.name);
    w.bytes(K_ID);
    w.string(sc.spanId);
    if (kind) w.bytes(kind);
    // Zipkin: integral epoch microseconds, and a duration of at least 1 when set.
    w.bytes(K_TIMESTAMP);
    w.number(micros(span.startTime));
    w.bytes(K_DURATION);
    w.number(micros(span.duration, 1));
    w.bytes(K_ENDPOINT);
    w.string(serviceName);
    w.bytes(K_TAGS);
    let first = true;
    for (const k in attrs) {
      const v = attrs[k];
      if (v === undefined) continue;
      const key = tagKey(resource, k);
      if (key === null || (late.length && lateHas(late, k))) continue;
      if (!first) w.byte(COMMA);
      first = false;
      w.bytes(key);
      w.byte(COLON);
      tagValue(w, v);
    }
    for (let i = 0; i < late.length; i += 2) {
      if (resource.keys.has(late[i]!)) continue;
      if (!first) w.byte(COMMA);
      first = false;
      w.bytes(quotedKey(late[i]!));
      w.byte(COLON);
      w.string(late[i + 1]!);
    }
    if (resource.json.length) {
      if (!first) w.byte(COMMA);
      w.bytes(resource.json);
    }
    w.byte(CLOSE_BRACE);
    if (span.events.length) {
      w.bytes(K_ANNOTATIONS);
      span.events.forEach((e, i) => {
        if (i) w.byte(COMMA);
        w.bytes(K_ANNOTATION);
        w.number(micros(e.time));
        w.bytes(K_VALUE);
        w.string(annotationValue(e));
        w.byte(CLOSE_BRACE);
      });
      w.byte(CLOSE);
    }
    w.byte(CLOSE_BRACE);
  };
  return {
    contentType: 'application/json',
    ext: 'zipkin.json',
    admits: zipkinSpanRule,
    split: splitJsonArray,
    encode: (spans) => {
      whole.reset();
      whole.byte(OPEN);
      spans.forEach((span, i) => {
        if (i) whole.byte(COMMA);
        encodeSpan(whole, span);
      });
      whole.byte(CLOSE);
      return whole.take();
    },
    // Each span is written once, when it ends, behind the batch's earlier spans.
    pieces: { encodeInto: encodeSpan, frame: JSON_ARRAY },
  };
}

// The fixed parts of a span's JSON, as bytes once.
const K_TRACE_ID = Buffer.from('{"traceId":', 'latin1');
const K_PARENT_ID = Buffer.from(',"parentId":', 'latin1');
const K_NAME = Buffer.from(',"name":', 'latin1');
const K_ID = Buffer.from(',"id":', 'latin1');
const K_TIMESTAMP = Buffer.from(',"timestamp":', 'latin1');
const K_DURATION = Buffer.from(',"duration":', 'latin1');
const K_ENDPOINT = Buffer.from(',"localEndpoint":{"serviceName":', 'latin1');
const K_TAGS = Buffer.from('},"tags":{', 'latin1');
const K_ANNOTATIONS = Buffer.from(',"annotations":[', 'latin1');
const K_VALUE = Buffer.from(',"value":', 'latin1');
const K_ANNOTATION = Buffer.from('{"timestamp":', 'latin1');
const COLON = 0x3a;
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;

const NO_TAGS: string[] = [];

// Attribute keys are the proxy's constants (and the SDK's): each is encoded once, not per span.
const QUOTED_KEYS = new Map<string, Uint8Array>();
const MAX_QUOTED_KEYS = 1024;
function quotedKey(k: string): Uint8Array {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = Buffer.from(JSON.stringify(k), 'utf8');
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS) QUOTED_KEYS.set(k, q);
  }
  return q;
}

/** A tag value as a JSON string: what String(v) gives, as the stock transform writes it. */
function tagValue(w: JsonBytes, v: string | number | boolean | readonly unknown[]): void {
  if (typeof v === 'string') return w.string(v);
  // A number's or boolean's text never needs escaping; a count or a time (nearly every numeric
  // tag) is written digit by digit by JsonBytes.number, without a string made for it. Only
  // NaN and the infinities differ: JSON has no text for them, a tag has String(v)'s.
  if (typeof v === 'number') {
    w.byte(QUOTE);
    if (Number.isFinite(v)) w.number(v);
    else w.raw(String(v));
    return w.byte(QUOTE);
  }
  if (typeof v === 'boolean') return w.raw(v ? '"true"' : '"false"');
  w.string(String(v));
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/** A Zipkin batch is a JSON array of its spans. */
const JSON_ARRAY = { open: Uint8Array.of(OPEN), separator: Uint8Array.of(COMMA), close: Uint8Array.of(CLOSE) };

interface ResourceTags {
  readonly keys: ReadonlySet<string>;
  /** `"key":"value",…` */
  readonly json: Uint8Array;
  /**
   * Per attribute key: its quoted bytes, or null when the resource has a tag of that name (the
   * resource's wins). One lookup per attribute instead of two, for every attribute of every span.
   */
  readonly quoted: Map<string, Uint8Array | null>;
}

/** `k`'s quoted bytes, or null when `r` has a tag of that name. */
function tagKey(r: ResourceTags, k: string): Uint8Array | null {
  let q = r.quoted.get(k);
  if (q === undefined) {
    q = r.keys.has(k) ? null : quotedKey(k);
    if (r.quoted.size < MAX_QUOTED_KEYS) r.quoted.set(k, q);
  }
  return q;
}

/** Integral microseconds (NaN for a time that is not one, which JSON writes as null). */
function micros(t: ReadableSpan['startTime'], min = -Infinity): number {
  return Math.max(min, Math.round(hrTimeToMicroseconds(t)));
}

/** Whether a key is among the tags written after the attributes (`[key, value, key, value…]`). */
function lateHas(late: readonly string[], key: string): boolean {
  for (let i = 0; i < late.length; i += 2) if (late[i] === key) return true;
  return false;
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
