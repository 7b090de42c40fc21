// The tracing pipeline, built once from the frozen config:
//   tracer (spans/tracer.ts; head sampler: records everything, flags the head decision)
//     -> TailSampler (keeps head-sampled, forced, error and slow traces; sampling/tail.ts)
//       -> one ExportQueue per network exporter (batch, retry, spool; queue.ts), or the console
//     -> PredictionMetrics (prediction histograms from prediction spans)
// Export is asynchronous and bounded everywhere: a slow or absent backend costs spans (counted),
// never request latency (design §5).
import { join } from 'node:path';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleSpanExporter, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';
import { otlpTracesUrl, type ProxyConfig } from '../config/load.js';
import type { Logger } from '../../../common/logger.js';
import type { Metrics } from '../metrics.js';
import { PredictionMetrics } from '../prediction-metrics.js';
import { HeadSampler, RatioControl } from '../sampling/head.js';
import { TailSampler } from '../sampling/tail.js';
import { ProxyTracer } from '../spans/tracer.js';
import { otlpCodec, zipkinCodec, type Codec } from './codecs.js';
import { ZipkinFileSink } from './file.js';
import { ExportQueue, type QueueCounters } from './queue.js';
import { Spool, type SpoolDropReason } from './spool.js';
import { httpTransport } from './transport.js';

export interface Tracing {
  /** Records the proxy's spans into the processors below (spans/tracer.ts). */
  readonly tracer: Tracer;
  readonly sampler: HeadSampler;
  readonly ratio: RatioControl;
  readonly tail: TailSampler;
  readonly queues: readonly ExportQueue[];
  /** Whether a trace will reach the backend, as far as is known now (for exemplars). */
  willKeep(traceId: string, sampled: boolean): boolean;
  /** Decides held traces and exports what is queued within `deadlineMs` (rest: spool or dropped); never throws. */
  flush(deadlineMs: number): Promise<void>;
}

export interface TracingDeps {
  readonly metrics: Metrics;
  readonly logger: Logger;
}

function queueCounters(name: string, metrics: Metrics): QueueCounters {
  const exporter = name;
  metrics.exporterUp.set({ exporter }, 1);
  return {
    exported: (n) => metrics.exported.inc({ exporter }, n),
    retried: (n, kind) => metrics.retried.inc({ exporter, kind }, n),
    spooled: (n) => metrics.spooled.inc({ exporter }, n),
    replayed: (n) => metrics.replayed.inc({ exporter }, n),
    dropped: (n, reason, maybeDelivered) => {
      if (n <= 0) return;
      metrics.dropped.inc({ exporter, reason }, n);
      if (maybeDelivered) metrics.droppedUnconfirmed.inc({ exporter }, n);
    },
    attempt: (ok) => {
      metrics.exporterUp.set({ exporter }, ok ? 1 : 0);
      if (ok) metrics.lastSuccess.set({ exporter }, Date.now() / 1000);
    },
  };
}

function openSpool(config: ProxyConfig, name: string, onDrop: (n: number, r: SpoolDropReason, maybeDelivered: boolean) => void, logger: Logger): Spool | undefined {
  if (!config.spoolDir) return undefined;
  try {
    return new Spool(join(config.spoolDir, name), config.spoolMaxBytes, onDrop);
  } catch (err) {
    // Export goes on without a spool rather than stopping the proxy: requests matter more.
    logger.log('error', 'export spool unavailable; continuing without it', {
      exporter: name, dir: config.spoolDir, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code,
    });
    return undefined;
  }
}

function networkQueue(name: 'zipkin' | 'otlp', config: ProxyConfig, deps: TracingDeps): ExportQueue {
  let codec: Codec;
  let url: URL;
  let headers: Record<string, string> = {};
  let timeoutMs: number;
  let gzip = false;
  if (name === 'zipkin') {
    codec = zipkinCodec(config.serviceName);
    url = config.zipkinEndpoint;
    timeoutMs = config.zipkinTimeoutMs || config.bspExportTimeoutMs;
  } else {
    codec = otlpCodec(config.otlpTracesProtocol || config.otlpProtocol);
    url = otlpTracesUrl(config);
    headers = { ...config.otlpHeaders };
    timeoutMs = config.otlpTimeoutMs || config.bspExportTimeoutMs;
    gzip = config.otlpCompression === 'gzip';
  }
  const counters = queueCounters(name, deps.metrics);
  const spool = openSpool(config, name, (n, reason, maybeDelivered) => counters.dropped(n, reason, maybeDelivered), deps.logger);
  return new ExportQueue(name, codec, httpTransport({ url, timeoutMs, headers, gzip }), {
    maxQueueSpans: config.bspMaxQueueSize,
    maxBatchSpans: Math.min(config.bspMaxExportBatchSize, config.bspMaxQueueSize),
    scheduleDelayMs: config.bspScheduleDelayMs,
    retryInitialMs: config.exportRetryInitialMs,
    retryMaxMs: Math.max(config.exportRetryMaxMs, config.exportRetryInitialMs),
    maxAttempts: config.exportMaxAttempts,
  }, counters, spool);
}

export function buildTracing(config: ProxyConfig, deps: TracingDeps): Tracing {
  const { metrics, logger } = deps;
  const queues: ExportQueue[] = [];
  const sinks: ((spans: ReadableSpan[]) => void)[] = [];
  const files: ZipkinFileSink[] = [];
  for (const name of config.tracesExporter) {
    if (name === 'zipkin' || name === 'otlp') {
      const q = networkQueue(name, config, deps);
      queues.push(q);
      sinks.push((spans) => q.add(spans));
    } else if (name === 'file') {
      const f = new ZipkinFileSink(config.spanFile, zipkinCodec(config.serviceName), (err) => logger.log('warn', 'span file write failed', { error: (err as Error).message }));
      files.push(f);
      sinks.push((spans) => f.add(spans));
    } else if (name === 'console') {
      // Local debugging: printed as spans end, no queue or retry.
      const consoleExporter = new ConsoleSpanExporter();
      sinks.push((spans) => consoleExporter.export(spans, () => undefined));
    }
  }
  const ratio = new RatioControl(config.tracesSamplerArg, {
    onChange: (o, why) => logger.log('info', `sampling override ${why}`, o ? { ratio: o.ratio, until: new Date(o.until).toISOString() } : { ratio: config.tracesSamplerArg }),
  });
  const sampler = new HeadSampler(config.tracesSampler, ratio);
  const tail = new TailSampler({
    slowMs: config.tailSlowMs, maxWaitMs: config.tailMaxWaitMs, maxTraces: config.tailMaxTraces,
    maxSpans: config.tailMaxSpans, maxSpansPerTrace: config.tailMaxSpansPerTrace, maxKeepsPerSecond: config.tailKeepMaxPerSecond,
  }, (spans) => { for (const s of sinks) s(spans); }, {
    decided: (kept, reason) => metrics.samplingTraces.inc({ decision: kept ? 'kept' : 'dropped', reason }),
    early: (cause) => metrics.tailEarly.inc({ cause }),
    overflow: (limit) => metrics.tailOverflow.inc({ limit }),
    late: (outcome) => metrics.tailLate.inc({ outcome }),
  });
  const willKeep = (traceId: string, sampled: boolean) => tail.willKeep(traceId, sampled);
  const processors: SpanProcessor[] = [tail, new PredictionMetrics(metrics, willKeep)];
  const resource = defaultResource().merge(resourceFromAttributes({
    ...config.resourceAttributes,
    'service.name': config.serviceName,
  }));
  const tracer = new ProxyTracer({ resource, scope: { name: 'tts-trace-proxy' }, sampler, limits: config.spanLimits, processors });
  metrics.watch({
    samplingRatio: () => ({ configured: ratio.base, effective: ratio.ratio }),
    tail: () => ({ traces: tail.heldTraces, spans: tail.heldSpans }),
    queues: () => queues.map((q) => ({
      name: q.name, queued: q.queuedSpans, capacity: config.bspMaxQueueSize,
      spoolBytes: q.spoolBytes, spoolSpans: q.spoolSpans, failures: q.consecutiveFailures,
    })),
  });
  return {
    tracer, sampler, ratio, tail, queues, willKeep,
    async flush(deadlineMs) {
      const started = Date.now();
      try {
        await tail.forceFlush();
        await Promise.all(queues.map((q) => q.drain(deadlineMs - (Date.now() - started))));
        await tracer.shutdown();
        await Promise.all(files.map((f) => f.close()));
      } catch (err) {
        logger.log('warn', 'span flush failed', { error: (err as Error).message });
      }
    },
  };
}
