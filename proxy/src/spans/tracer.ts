// The proxy's span recorder: an OpenTelemetry `Tracer` whose spans are the SDK's `ReadableSpan`s
// for the same processors (tail sampler, prediction metrics) and the same exporters.
//
// Why not the SDK's Tracer: every request records two spans, and the SDK span costs several
// microseconds each on the request path (attributes sanitised twice, a clock pair read per span,
// getters over private fields, an Error built for any late call, a metrics hook per span), which
// was a tenth of the traced proxy's per-request work in the profile (issue 10). This records the
// same fields under the same rules (sampler, span limits from the same environment variables,
// attribute and event validation, status precedence, end-once) in plain fields; the parity test
// (test/proxy/spans/tracer.test.ts) runs both side by side and compares every field and encoding.
import {
  context as apiContext, diag, INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags,
  type Attributes, type AttributeValue, type Context, type Exception, type HrTime, type Link,
  type Span as ApiSpan, type SpanAttributes, type SpanContext, type SpanOptions, type SpanStatus,
  type TimeInput, type Tracer,
} from '@opentelemetry/api';
import {
  addHrTimes, hrTime, hrTimeDuration, isAttributeValue, isTimeInput, isTimeInputHrTime, isTracingSuppressed, millisToHrTime, otperformance,
  sanitizeAttributes as sanitize,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';
import {
  SamplingDecision, type IdGenerator, type ReadableSpan, type Sampler, type Span, type SpanProcessor, type TimedEvent,
} from '@opentelemetry/sdk-trace-base';
import type { ResolvedSpanLimits } from '../config/span-limits.js';
import { PooledIdGenerator } from './ids.js';

export interface TracerOptions {
  readonly resource: Resource;
  readonly scope: { readonly name: string; readonly version?: string; readonly schemaUrl?: string };
  readonly sampler: Sampler;
  readonly limits: ResolvedSpanLimits;
  readonly processors: readonly SpanProcessor[];
  readonly idGenerator?: IdGenerator;
}

// The SDK's event name for a recorded exception.
const EXCEPTION_EVENT = 'exception';

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The number of attributes when every one is set and within the count and length limits (the
 * span may then keep the object as it is), else -1.
 */
function withinLimits(attributes: Attributes, limits: ResolvedSpanLimits): number {
  const maxLength = limits.attributeValueLengthLimit;
  let count = 0;
  for (const key in attributes) {
    const v = attributes[key];
    if (v == null || ++count > limits.attributeCountLimit) return -1;
    if (typeof v === 'string') {
      if (v.length > maxLength) return -1;
    } else if (Array.isArray(v)) {
      for (const x of v) if (typeof x === 'string' && x.length > maxLength) return -1;
    }
  }
  // A limit that is not positive is the SDK's "no truncation, with a warning": copied as before.
  return maxLength > 0 ? count : -1;
}

/**
 * The context of `span` when it can parent another (valid ids), else undefined. A span this
 * tracer recorded with ids it generated is valid by construction (ids.ts) and is not checked
 * again for every child and every sampling decision; any other span's context is.
 */
export function validParentContext(span: ApiSpan | undefined): SpanContext | undefined {
  if (!span) return undefined;
  const sc = span.spanContext();
  if (span instanceof RecordedSpan && span.idsTrusted) return sc;
  return trace.isSpanContextValid(sc) ? sc : undefined;
}

/**
 * Options for a span whose attributes object was made for this call and is used for nothing else
 * (the proxy's own spans: the request's SERVER and CLIENT spans, a prediction's). The span then
 * takes it as it is when every key and value is already valid, instead of a copy (the SDK copies
 * them, as it must for a caller's object): a dozen keyed stores per span, three spans per join
 * (issue 10). Anything the SDK would change (an empty key, a null, an invalid value, an array it
 * would copy) takes the SDK's path; the parity test passes the flag to both tracers.
 */
export interface OwnedSpanOptions extends SpanOptions {
  readonly attributesOwned?: boolean;
  /**
   * The start attributes, built only when needed (in place of `attributes`, and owned as above):
   * at once for a sampled span, and for an unsampled one only if its trace is kept
   * (`fillAttributes`, which the tail calls). Most unsampled traces are dropped, and building a
   * request's attributes was what remained of recording it that the tail's decision does not
   * need (issue 10). The builder must give the same attributes whenever it runs: it reads what
   * can change meanwhile (request headers) when the span starts. The sampler sees none of them
   * (the proxy's decides on the trace id and the parent).
   */
  readonly attributesLater?: () => Attributes;
}

/** Whether sanitizing `attributes` would give an equal object: then it needs no copy. */
function alreadyClean(attributes: Attributes): boolean {
  for (const key in attributes) {
    if (key === '' || !hasOwn(attributes, key)) return false;
    const v = attributes[key];
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
  }
  return true;
}

/** A span's start attributes as validated: an owned clean object as it is, anything else copied clean. */
function startAttributes(given: Attributes | undefined, owned: boolean): Attributes {
  return owned && given && alreadyClean(given) ? given : sanitize(given);
}

/**
 * Completes an unsampled span's attributes whose start attributes were left to be built
 * (`attributesLater`): called for a span that is going to be exported. Any other span is as it was.
 */
export function fillAttributes(span: ReadableSpan): ReadableSpan {
  if (span instanceof RecordedSpan) span.fill();
  return span;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const NO_LINKS = Object.freeze([]) as unknown as Link[];
const NO_EVENTS = Object.freeze([]) as unknown as TimedEvent[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION = Object.freeze([-1, -1]) as unknown as HrTime;

export class ProxyTracer implements Tracer {
  private readonly ids: IdGenerator;
  /** Whether the generator's ids are valid by construction (ours), so spans' contexts need no check. */
  private readonly trustedIds: boolean;

  constructor(private readonly opts: TracerOptions) {
    this.ids = opts.idGenerator ?? new PooledIdGenerator();
    this.trustedIds = this.ids instanceof PooledIdGenerator;
  }

  startSpan(name: string, options: OwnedSpanOptions = {}, context: Context = apiContext.active()): ApiSpan {
    if (options.root) context = trace.deleteSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const validParent = validParentContext(trace.getSpan(context));
    const spanId = this.ids.generateSpanId();
    let traceId: string;
    let traceState: SpanContext['traceState'];
    if (validParent) {
      traceId = validParent.traceId;
      traceState = validParent.traceState;
    } else {
      traceId = this.ids.generateTraceId();
    }
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links: Link[] = options.links ? options.links.map((l) => ({ context: l.context, attributes: sanitize(l.attributes) })) : NO_LINKS;
    let later = options.attributesLater;
    let attributes = later ? NO_ATTRIBUTES : startAttributes(options.attributes, options.attributesOwned === true);
    const sampled = this.opts.sampler.shouldSample(context, traceId, name, kind, attributes, links);
    traceState = sampled.traceState ?? traceState;
    const spanContext: SpanContext = {
      traceId, spanId, traceFlags: sampled.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE, traceState,
    };
    if (sampled.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    // Only an unsampled span's wait: a sampled one is exported whatever happens.
    if (later && (sampled.decision === SamplingDecision.RECORD_AND_SAMPLED || sampled.attributes)) {
      attributes = startAttributes(later(), true);
      later = undefined;
    }
    // The sampler may add attributes; they pass the same validation as the caller's.
    if (sampled.attributes) attributes = sanitize(Object.assign(attributes, sampled.attributes));
    const span = new RecordedSpan(this.opts, spanContext, name, kind, validParent, links, options.startTime, attributes, this.trustedIds, later);
    for (const p of this.opts.processors) p.onStart(span, context);
    return span;
  }

  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan(name: string, ...args: unknown[]): unknown {
    if (args.length < 1) return undefined;
    const fn = args[args.length - 1] as (span: ApiSpan) => unknown;
    const options = args.length >= 2 ? (args[0] as SpanOptions) : undefined;
    const parent = (args.length >= 3 ? (args[1] as Context) : undefined) ?? apiContext.active();
    const span = this.startSpan(name, options, parent);
    return apiContext.with(trace.setSpan(parent, span), fn, undefined, span);
  }

  /** Flushes and shuts the processors down (what the SDK provider's shutdown does). */
  async shutdown(): Promise<void> {
    await Promise.all(this.opts.processors.map((p) => p.shutdown()));
  }
}

/**
 * One span, readable by the processors and exporters as the SDK's spans are. Times given by the
 * caller are used as given (the proxy always passes microsecond-aligned HrTime); a time left out
 * is read from the clock, as the SDK reads it.
 */
export class RecordedSpan implements Span, ReadableSpan {
  attributes: Attributes;
  // Until a span has links, events, a status or an end, it shares frozen placeholders: most
  // spans never get links or a status, and a waiting prediction's span waits seconds for its end,
  // so five objects per span were garbage to collect or copy for nothing (issue 10).
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: TracerOptions['scope'];
  status: SpanStatus = UNSET_STATUS;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NO_DURATION;
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributeCount = 0;
  /** Keys and values set while the start attributes wait to be built (see `later`). */
  private sets?: (string | AttributeValue)[] = undefined;
  private readonly startTimeGiven: boolean;
  // Performance-clock start, read only when the start time was left to the clock.
  private readonly perfStart: number;

  constructor(
    private readonly opts: TracerOptions,
    private readonly sc: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    links: readonly Link[],
    startTime: TimeInput | undefined,
    attributes: Attributes,
    /** Its ids came from a generator that only makes valid ones, or from a checked parent. */
    readonly idsTrusted = false,
    /**
     * The start attributes' builder, until `fill()` (`attributesLater`). Meanwhile `attributes`
     * is empty and every set is kept in order (`sets`): the limits apply once the start
     * attributes are in front of them, set by set, so that the result is the span built at its
     * start, its dropped count included.
     */
    private later?: () => Attributes,
  ) {
    this.resource = opts.resource;
    this.instrumentationScope = opts.scope;
    // Indexed: an array iterator here was allocated for every span (allocation profile), links or not.
    for (let i = 0; i < links.length; i++) this.addLink(links[i]!);
    this.startTimeGiven = startTime != null;
    this.perfStart = this.startTimeGiven && isTimeInputHrTime(startTime) ? 0 : otperformance.now();
    this.startTime = this.time(startTime ?? Date.now());
    this.attributes = attributes;
    if (!later) this.adopt(attributes);
  }

  /** Builds the start attributes left for later, and puts what was set since behind them. */
  fill(): void {
    const build = this.later;
    if (!build) return;
    this.later = undefined;
    const sets = this.sets;
    this.sets = undefined;
    this.adopt(startAttributes(build(), true));
    if (sets) for (let i = 0; i < sets.length; i += 2) this.put(sets[i] as string, sets[i + 1] as AttributeValue);
  }

  /** Start attributes validated by the tracer (sanitize, or an owned clean object): only the limits apply. */
  private adopt(attributes: Attributes): void {
    // Within them the object becomes the span's own, instead of being copied key by key into a
    // second one (a dozen keyed stores per span at one site that sees every span's shape).
    const count = withinLimits(attributes, this.opts.limits);
    if (count >= 0) {
      this.attributes = attributes;
      this.attributeCount = count;
      return;
    }
    this.attributes = {};
    this.attributeCount = 0;
    for (const key in attributes) {
      const v = attributes[key];
      if (v != null) this.put(key, v);
    }
  }

  spanContext(): SpanContext {
    return this.sc;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.endedWarn()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    this.put(key, value);
    return this;
  }

  /** A valid attribute under the count and length limits. */
  private put(key: string, value: AttributeValue): void {
    if (this.later) {
      (this.sets ??= []).push(key, Array.isArray(value) ? (value.slice() as AttributeValue) : value);
      return;
    }
    const isNew = !hasOwn(this.attributes, key);
    if (isNew && this.attributeCount >= this.opts.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return;
    }
    this.attributes[key] = this.truncate(value);
    if (isNew) this.attributeCount++;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) if (hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.endedWarn()) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.opts.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    let given: SpanAttributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else {
      given = attributesOrTime;
    }
    const { attributes, dropped } = this.limited(sanitize(given), attributePerEventCountLimit);
    this.events.push({ name, attributes, time: this.time(time), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedWarn()) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.opts.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const { attributes, dropped } = this.limited(sanitize(link.attributes), attributePerLinkCountLimit);
    const out: Link = { context: link.context };
    if (Object.keys(attributes).length > 0) out.attributes = attributes;
    if (dropped > 0) out.droppedAttributesCount = dropped;
    this.links.push(out);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarn()) return this;
    // OK is final, and UNSET never replaces anything (the API's rule).
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this.endedWarn()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.sc.traceId}-${this.sc.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.time(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = this.startTime.slice() as HrTime;
      this.duration = [0, 0];
    }
    const processors = this.opts.processors;
    for (const p of processors) p.onEnding?.(this);
    this.ended = true;
    for (const p of processors) p.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    } else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE]) this.addEvent(EXCEPTION_EVENT, attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  private endedWarn(): boolean {
    if (this.ended) diag.warn(`Cannot execute the operation on ended Span {traceId: ${this.sc.traceId}, spanId: ${this.sc.spanId}}`);
    return this.ended;
  }

  /** The SDK's reading of a time input: performance-clock ms, epoch ms, a Date, or HrTime as is. */
  private time(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number') {
      const perfNow = otperformance.now();
      // A number not after the performance clock's now is a performance timestamp.
      if (input <= perfNow) return hrTime(input + (Date.now() - (perfNow + otperformance.timeOrigin)));
      return millisToHrTime(input);
    }
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    // Once a caller gave the start time, later clock reads are not relative to it.
    if (this.startTimeGiven) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(otperformance.now() - this.perfStart));
  }

  /** An event's or link's attributes: the first `limit` kept (values truncated), the rest counted. */
  private limited(valid: Attributes, limit: number): { attributes: Attributes; dropped: number } {
    const attributes: Attributes = {};
    let kept = 0;
    let dropped = 0;
    for (const key in valid) {
      if (kept >= limit) {
        dropped++;
        continue;
      }
      attributes[key] = this.truncate(valid[key]!);
      kept++;
    }
    return { attributes, dropped };
  }

  private truncate(value: AttributeValue): AttributeValue {
    const limit = this.opts.limits.attributeValueLengthLimit;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && v.length > limit ? v.substring(0, limit) : v)) as AttributeValue;
    return value;
  }
}
