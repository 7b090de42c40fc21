// The proxy's metrics (design §5). Names follow the OpenTelemetry semantic conventions translated
// to Prometheus where one exists (http.server.request.duration ->
// http_server_request_duration_seconds); ours are tts_*. The registry speaks OpenMetrics so that
// histograms can carry trace-id exemplars; admin.ts serves the classic text format to scrapers
// that do not ask for OpenMetrics. docs/operations.md lists every metric, and a test keeps the
// two equal.
import { Counter, Gauge, Registry, type OpenMetricsContentType } from 'prom-client';
import { ResolvedHistogram } from './resolved-histogram.js';
import { SeriesIndex } from './series-index.js';

/** Every metric name defined here (server.ts registers a few more of its own). */
export const METRIC = Object.freeze({
  HTTP_SERVER_DURATION: 'http_server_request_duration_seconds',
  HTTP_SERVER_ACTIVE: 'http_server_active_requests',
  ACTIVE_STREAMS: 'tts_proxy_active_streams',
  PROPAGATION_INVALID: 'tts_proxy_propagation_invalid_total',
  PROPAGATION_OVERSIZE: 'tts_proxy_propagation_oversize_total',
  CLIENT_ABORTS: 'tts_proxy_client_aborts_total',
  PREDICTION_DURATION: 'tts_prediction_duration_seconds',
  QUEUE_WAIT: 'tts_queue_wait_seconds',
  PROCESSING_DURATION: 'tts_processing_duration_seconds',
  TIME_TO_FIRST_CHUNK: 'tts_time_to_first_chunk_seconds',
  INPUT_AUDIO_DURATION: 'tts_input_audio_duration_seconds',
  REALTIME_FACTOR: 'tts_realtime_factor',
  SAMPLING_TRACES: 'tts_proxy_sampling_traces_total',
  SAMPLING_FORCE_REFUSED: 'tts_proxy_sampling_force_refused_total',
  SAMPLING_RATIO: 'tts_proxy_sampling_ratio',
  TAIL_HELD_TRACES: 'tts_proxy_tail_held_traces',
  TAIL_HELD_SPANS: 'tts_proxy_tail_held_spans',
  TAIL_OVERFLOW: 'tts_proxy_tail_overflow_total',
  TAIL_EARLY: 'tts_proxy_tail_early_decisions_total',
  TAIL_LATE: 'tts_proxy_tail_late_spans_total',
  EXPORT_EXPORTED: 'tts_proxy_export_exported_spans_total',
  EXPORT_RETRIED: 'tts_proxy_export_retried_spans_total',
  EXPORT_SPOOLED: 'tts_proxy_export_spooled_spans_total',
  EXPORT_REPLAYED: 'tts_proxy_export_replayed_spans_total',
  EXPORT_DROPPED: 'tts_proxy_export_dropped_spans_total',
  EXPORT_DROPPED_UNCONFIRMED: 'tts_proxy_export_dropped_unconfirmed_spans_total',
  EXPORT_QUEUE: 'tts_proxy_export_queue_spans',
  EXPORT_QUEUE_CAPACITY: 'tts_proxy_export_queue_capacity_spans',
  EXPORT_SPOOL_BYTES: 'tts_proxy_export_spool_bytes',
  EXPORT_SPOOL_SPANS: 'tts_proxy_export_spool_spans',
  EXPORTER_UP: 'tts_proxy_exporter_up',
  EXPORT_LAST_SUCCESS: 'tts_proxy_export_last_success_timestamp_seconds',
  EXPORT_FAILURES: 'tts_proxy_export_consecutive_failures',
  OBSERVATION_FAILURES: 'tts_proxy_observation_failures_total',
  GRADIO_PARSE_ERRORS: 'tts_proxy_gradio_parse_errors_total',
  TABLE_EVICTIONS: 'tts_proxy_table_evictions_total',
  PREDICTIONS_UNMATCHED: 'tts_proxy_predictions_unmatched_total',
  TABLE_ENTRIES: 'tts_proxy_table_entries',
  UPSTREAM_RETRIES: 'tts_proxy_upstream_retries_total',
  FORWARDING_FAILURES: 'tts_proxy_forwarding_failures_total',
  RESPONSE_ERRORS: 'tts_proxy_response_errors_total',
});

type Http = 'http_request_method' | 'http_route' | 'http_response_status_code' | 'http_response_status_class' | 'error_type' | 'tts_upstream_arm';
type Predict = 'gradio_api_name' | 'tts_upstream_arm';

export interface Metrics {
  readonly registry: Registry<OpenMetricsContentType>;
  readonly requestDuration: ResolvedHistogram<Http>;
  readonly activeRequests: InFlight<'http_request_method'>;
  readonly activeStreams: Gauge<'kind'>;
  readonly invalidPropagation: Counter<'format'>;
  readonly oversizePropagation: Counter<'header'>;
  readonly clientAborts: Counter<'http_route'>;
  readonly predictionDuration: ResolvedHistogram<Predict | 'outcome' | 'error_type'>;
  readonly queueWait: ResolvedHistogram<Predict>;
  readonly processingDuration: ResolvedHistogram<Predict | 'outcome'>;
  readonly timeToFirstChunk: ResolvedHistogram<Predict>;
  readonly inputAudioDuration: ResolvedHistogram<Predict>;
  readonly realtimeFactor: ResolvedHistogram<Predict>;
  readonly samplingTraces: ResolvedCounter<'decision' | 'reason'>;
  readonly forceRefused: Counter<'reason'>;
  readonly tailOverflow: Counter<'limit'>;
  readonly tailEarly: Counter<'cause'>;
  readonly tailLate: Counter<'outcome'>;
  readonly exported: Counter<'exporter'>;
  readonly retried: Counter<'exporter' | 'kind'>;
  readonly spooled: Counter<'exporter'>;
  readonly replayed: Counter<'exporter'>;
  readonly dropped: Counter<'exporter' | 'reason'>;
  readonly droppedUnconfirmed: Counter<'exporter'>;
  readonly exporterUp: Gauge<'exporter'>;
  readonly lastSuccess: Gauge<'exporter'>;
  readonly observationFailures: Counter<'site'>;
  readonly gradioParseErrors: Counter<'kind'>;
  readonly tableEvictions: ResolvedCounter<'table' | 'reason'>;
  readonly predictionsUnmatched: Counter;
  readonly upstreamRetries: Counter;
  readonly forwardingFailures: Counter;
  readonly responseErrors: Counter;
  /** Gauges read at scrape time from the tracing pipeline. */
  watch(w: Watched): void;
  /** Sizes of the bounded correlation tables, read at scrape time. */
  watchTables(sizes: () => Readonly<Record<string, number>>): void;
  /** Marks a request (any object that stands for it) as an open stream (SSE, websocket) until it is closed. */
  streamOpened(request: object, kind: 'sse' | 'websocket'): void;
  streamClosed(request: object): void;
}

/**
 * A gauge moved on every request. prom-client hashes the label set on each inc and dec; here a
 * request moves a number in a map, and the gauge reads the map when scraped (issue 10: label sets
 * resolved once per combination).
 */
export interface InFlight<L extends string> {
  inc(labels: Record<L, string>): void;
  dec(labels: Record<L, string>): void;
  get(): ReturnType<Gauge<L>['get']>;
}

function inFlight<L extends string>(label: L, config: { name: string; help: string; registers: Registry<OpenMetricsContentType>[] }): InFlight<L> {
  const counts = new Map<string, number>();
  const gauge = new Gauge<L>({
    ...config, labelNames: [label],
    collect() { for (const [value, n] of counts) this.set({ [label]: value } as Record<L, string>, n); },
  });
  return {
    inc: (labels) => { counts.set(labels[label], (counts.get(labels[label]) ?? 0) + 1); },
    dec: (labels) => { counts.set(labels[label], (counts.get(labels[label]) ?? 0) - 1); },
    get: () => gauge.get(),
  };
}

/**
 * A counter moved on every request or trace. prom-client hashes the label set on each inc; here
 * an increment finds its count through the label values (series-index.ts), and the counter is
 * given the totals when scraped (issue 10: label sets resolved once per combination).
 */
export interface ResolvedCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

export function resolvedCounter<L extends string>(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry<OpenMetricsContentType>[] }): ResolvedCounter<L> {
  const counts = new SeriesIndex(config.labelNames, (labels) => ({ labels: { ...labels } as Record<L, string>, n: 0 }));
  new Counter<L>({
    ...config, labelNames: [...config.labelNames],
    collect() {
      this.reset();
      for (const c of counts.values()) this.inc(c.labels, c.n);
    },
  });
  return { inc: (labels) => { counts.get(labels).n++; } };
}

export interface Watched {
  samplingRatio(): { configured: number; effective: number };
  tail(): { traces: number; spans: number };
  queues(): readonly { name: string; queued: number; capacity: number; spoolBytes: number; spoolSpans: number; failures: number }[];
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const PREDICTION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
const TTFC_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const AUDIO_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300];
const RTF_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5];

/** `503` -> `5xx`: low-cardinality status for error-ratio queries. */
export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/** Exemplar labels (OpenMetrics, OTel naming) when the trace will be in the backend; else none. */
export function exemplarLabels(kept: boolean, traceId: string | undefined, spanId: string | undefined): Record<string, string> {
  return kept && traceId && spanId ? { trace_id: traceId, span_id: spanId } : {};
}

/**
 * Label values that come from user input (a Gradio api_name in a URL) are bounded: the first
 * `max` distinct values are kept, later ones become `other`.
 */
export class LabelLimiter {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 100) {}
  value(v: string | undefined): string {
    if (v === undefined || v === '') return '';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

export function buildMetrics(): Metrics {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const registers = [registry];
  const streams = new WeakMap<object, 'sse' | 'websocket'>();
  let watched: Watched | undefined;
  let tableSizes: (() => Readonly<Record<string, number>>) | undefined;
  const predictHistogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
    new ResolvedHistogram<L>({ name, help, labelNames, buckets, registers });

  const activeStreams = new Gauge({
    name: METRIC.ACTIVE_STREAMS, help: 'Open response streams (SSE event streams, websockets) through the proxy.',
    labelNames: ['kind'] as const, registers,
  });
  const m: Metrics = {
    registry,
    requestDuration: new ResolvedHistogram<Http>({
      name: METRIC.HTTP_SERVER_DURATION,
      help: 'Duration of HTTP requests through the proxy, until the last response byte.',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'http_response_status_class', 'error_type', 'tts_upstream_arm'],
      buckets: DURATION_BUCKETS, registers,
    }),
    activeRequests: inFlight('http_request_method', {
      name: METRIC.HTTP_SERVER_ACTIVE, help: 'Requests (including open streams) currently in flight.', registers,
    }),
    activeStreams,
    invalidPropagation: new Counter({
      name: METRIC.PROPAGATION_INVALID, help: 'Inbound trace-context headers that were present but malformed (a new root was started; format=tracestate: only the tracestate was dropped).',
      labelNames: ['format'], registers,
    }),
    oversizePropagation: new Counter({
      name: METRIC.PROPAGATION_OVERSIZE, help: 'Inbound trace headers longer than the W3C limits (tracestate > 512 bytes); truncated by whole members.',
      labelNames: ['header'], registers,
    }),
    clientAborts: new Counter({
      name: METRIC.CLIENT_ABORTS, help: 'Requests the client abandoned before the response ended (cancellations, not errors).',
      labelNames: ['http_route'], registers,
    }),
    predictionDuration: predictHistogram(METRIC.PREDICTION_DURATION, 'Gradio predictions, submit to completion (gradio.predict spans).',
      ['gradio_api_name', 'tts_upstream_arm', 'outcome', 'error_type'], PREDICTION_BUCKETS),
    queueWait: predictHistogram(METRIC.QUEUE_WAIT, 'Time a prediction waited in the Gradio queue (gradio.queue spans).',
      ['gradio_api_name', 'tts_upstream_arm'], PREDICTION_BUCKETS),
    processingDuration: predictHistogram(METRIC.PROCESSING_DURATION, 'Time the app spent on a prediction, process_starts to completion (gradio.process spans).',
      ['gradio_api_name', 'tts_upstream_arm', 'outcome'], PREDICTION_BUCKETS),
    timeToFirstChunk: predictHistogram(METRIC.TIME_TO_FIRST_CHUNK, 'Submit to the first output chunk of a prediction (tts.time_to_first_chunk_ms).',
      ['gradio_api_name', 'tts_upstream_arm'], TTFC_BUCKETS),
    inputAudioDuration: predictHistogram(METRIC.INPUT_AUDIO_DURATION, 'Duration of the input (prompt) audio of a prediction (audio.input.duration_s).',
      ['gradio_api_name', 'tts_upstream_arm'], AUDIO_BUCKETS),
    realtimeFactor: predictHistogram(METRIC.REALTIME_FACTOR, 'Processing time / output audio duration of a prediction (tts.realtime_factor).',
      ['gradio_api_name', 'tts_upstream_arm'], RTF_BUCKETS),
    samplingTraces: resolvedCounter({
      name: METRIC.SAMPLING_TRACES, help: 'Traces decided by the proxy: kept (head, forced, error, slow) or dropped (unsampled, rate_limited: the tail\'s keep budget was spent).',
      labelNames: ['decision', 'reason'], registers,
    }),
    forceRefused: new Counter({
      name: METRIC.SAMPLING_FORCE_REFUSED, help: 'Requests that asked for forced sampling and did not get it.',
      labelNames: ['reason'], registers,
    }),
    tailOverflow: new Counter({
      name: METRIC.TAIL_OVERFLOW, help: 'Tail-sampling memory caps hit: traces decided early (traces, spans) or spans dropped (spans_per_trace).',
      labelNames: ['limit'], registers,
    }),
    tailEarly: new Counter({
      name: METRIC.TAIL_EARLY, help: 'Traces decided before all their local spans ended.',
      labelNames: ['cause'], registers,
    }),
    tailLate: new Counter({
      name: METRIC.TAIL_LATE, help: 'Spans that ended after their trace was decided.',
      labelNames: ['outcome'], registers,
    }),
    exported: new Counter({ name: METRIC.EXPORT_EXPORTED, help: 'Spans the backend accepted (replayed ones included).', labelNames: ['exporter'], registers }),
    retried: new Counter({ name: METRIC.EXPORT_RETRIED, help: 'Spans in export attempts that failed and will be retried.', labelNames: ['exporter', 'kind'], registers }),
    spooled: new Counter({ name: METRIC.EXPORT_SPOOLED, help: 'Spans written to the disk spool.', labelNames: ['exporter'], registers }),
    replayed: new Counter({ name: METRIC.EXPORT_REPLAYED, help: 'Spans from the disk spool the backend accepted.', labelNames: ['exporter'], registers }),
    dropped: new Counter({ name: METRIC.EXPORT_DROPPED, help: 'Spans given up on, by reason: never sent again.', labelNames: ['exporter', 'reason'], registers }),
    droppedUnconfirmed: new Counter({
      name: METRIC.EXPORT_DROPPED_UNCONFIRMED,
      help: 'Of the dropped spans, those an attempt may have delivered: it went out whole and got no answer. Missing from the backend: dropped less at most these.',
      labelNames: ['exporter'], registers,
    }),
    exporterUp: new Gauge({ name: METRIC.EXPORTER_UP, help: '1 when the last export attempt succeeded.', labelNames: ['exporter'], registers }),
    lastSuccess: new Gauge({ name: METRIC.EXPORT_LAST_SUCCESS, help: 'Time of the last successful export.', labelNames: ['exporter'], registers }),
    observationFailures: new Counter({
      name: METRIC.OBSERVATION_FAILURES, help: 'Failures inside tracing code; the request was forwarded regardless.', labelNames: ['site'], registers,
    }),
    gradioParseErrors: new Counter({
      name: METRIC.GRADIO_PARSE_ERRORS, help: 'Gradio payloads that could not be parsed (the bytes were forwarded unchanged).', labelNames: ['kind'], registers,
    }),
    // A session flooding its table evicts one entry per submission: resolved, like samplingTraces.
    tableEvictions: resolvedCounter({
      name: METRIC.TABLE_EVICTIONS, help: 'Entries dropped from bounded correlation tables.', labelNames: ['table', 'reason'], registers,
    }),
    predictionsUnmatched: new Counter({
      name: METRIC.PREDICTIONS_UNMATCHED,
      help: 'Prediction completions for an event no submission through this replica claimed: its join went through another proxy replica.', registers,
    }),
    upstreamRetries: new Counter({
      name: METRIC.UPSTREAM_RETRIES, help: 'Requests sent again on a fresh connection because the reused keep-alive connection to the app was closed under them.', registers,
    }),
    forwardingFailures: new Counter({
      name: METRIC.FORWARDING_FAILURES, help: 'Unexpected errors on the forwarding path; the connection was closed.', registers,
    }),
    responseErrors: new Counter({
      name: METRIC.RESPONSE_ERRORS, help: 'Errors writing to a client response (the exchange was already over or broken); the connection is closed.', registers,
    }),
    watch(w) { watched = w; },
    watchTables(sizes) { tableSizes = sizes; },
    streamOpened(s, kind) {
      if (streams.has(s)) return;
      streams.set(s, kind);
      activeStreams.inc({ kind });
    },
    streamClosed(s) {
      const kind = streams.get(s);
      if (!kind) return;
      streams.delete(s);
      activeStreams.dec({ kind });
    },
  };

  new Gauge({
    name: METRIC.SAMPLING_RATIO, help: 'Head-sampling ratio for new traces: as configured, and in effect (an admin override raises it for a while).',
    labelNames: ['source'], registers,
    collect() {
      if (!watched) return;
      const r = watched.samplingRatio();
      this.set({ source: 'configured' }, r.configured);
      this.set({ source: 'effective' }, r.effective);
    },
  });
  new Gauge({
    name: METRIC.TABLE_ENTRIES, help: 'Entries in the bounded correlation tables (each has a cap and a TTL).', labelNames: ['table'], registers,
    collect() { for (const [table, n] of Object.entries(tableSizes?.() ?? {})) this.set({ table }, n); },
  });
  new Gauge({ name: METRIC.TAIL_HELD_TRACES, help: 'Unsampled traces held for the tail decision.', registers,
    collect() { if (watched) this.set(watched.tail().traces); } });
  new Gauge({ name: METRIC.TAIL_HELD_SPANS, help: 'Ended spans held for the tail decision.', registers,
    collect() { if (watched) this.set(watched.tail().spans); } });
  const perQueue = (name: string, help: string, pick: (q: ReturnType<Watched['queues']>[number]) => number) => new Gauge({
    name, help, labelNames: ['exporter'], registers,
    collect() { for (const q of watched?.queues() ?? []) this.set({ exporter: q.name }, pick(q)); },
  });
  perQueue(METRIC.EXPORT_QUEUE, 'Spans waiting in memory for export.', (q) => q.queued);
  perQueue(METRIC.EXPORT_QUEUE_CAPACITY, 'Spans the memory queue holds at most.', (q) => q.capacity);
  perQueue(METRIC.EXPORT_SPOOL_BYTES, 'Bytes in the disk spool.', (q) => q.spoolBytes);
  perQueue(METRIC.EXPORT_SPOOL_SPANS, 'Spans in the disk spool.', (q) => q.spoolSpans);
  perQueue(METRIC.EXPORT_FAILURES, 'Export attempts that failed in a row (0 when healthy).', (q) => q.failures);
  return m;
}
