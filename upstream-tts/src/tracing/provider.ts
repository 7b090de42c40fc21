// The one tracer provider of the process, built from the OTEL_* settings exactly as the proxy
// builds its own (proxy/src/export/exporters.ts): batch export, so a slow Zipkin costs spans,
// never request latency.
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler,
  type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { WorkerConfig } from '../config/load.js';

export interface Tracing {
  readonly provider: BasicTracerProvider;
  /** Exports what is queued, within `deadlineMs`; never throws. */
  flush(deadlineMs: number): Promise<void>;
}

function makeExporter(name: string, config: WorkerConfig): SpanExporter | undefined {
  switch (name) {
    case 'zipkin':
      return new ZipkinExporter({ url: config.zipkinEndpoint.href, serviceName: config.serviceName });
    case 'console':
      return new ConsoleSpanExporter();
    default:
      return undefined;
  }
}

export function buildTracing(config: WorkerConfig): Tracing {
  const processors: SpanProcessor[] = [];
  for (const name of config.tracesExporter) {
    const exporter = makeExporter(name, config);
    if (!exporter) continue;
    processors.push(new BatchSpanProcessor(exporter, {
      scheduledDelayMillis: config.bspScheduleDelayMs,
      maxQueueSize: config.bspMaxQueueSize,
      maxExportBatchSize: Math.min(config.bspMaxExportBatchSize, config.bspMaxQueueSize),
      exportTimeoutMillis: config.bspExportTimeoutMs,
    }));
  }
  const resource = defaultResource().merge(resourceFromAttributes({
    ...config.resourceAttributes,
    'service.name': config.serviceName,
  }));
  const provider = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
  });
  return {
    provider,
    async flush(deadlineMs) {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadlineMs)).unref());
      await Promise.race([provider.shutdown().catch(() => undefined), timeout]);
    },
  };
}
