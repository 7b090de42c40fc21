import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// Names follow the OpenTelemetry semantic conventions translated to Prometheus
// (http.server.request.duration -> http_server_request_duration_seconds).
export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code' | 'error_type'>;
  readonly activeRequests: Gauge<'http_request_method'>;
  readonly invalidPropagation: Counter<'format'>;
  readonly clientAborts: Counter<'http_route'>;
}

export function buildMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    requestDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests through the proxy, until the last response byte.',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'error_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    activeRequests: new Gauge({
      name: 'http_server_active_requests',
      help: 'Requests (including open streams) currently in flight.',
      labelNames: ['http_request_method'],
      registers: [registry],
    }),
    invalidPropagation: new Counter({
      name: 'tts_proxy_propagation_invalid_total',
      help: 'Inbound trace-context headers that were present but malformed (a new root was started).',
      labelNames: ['format'],
      registers: [registry],
    }),
    clientAborts: new Counter({
      name: 'tts_proxy_client_aborts_total',
      help: 'Requests the client abandoned before the response ended (cancellations, not errors).',
      labelNames: ['http_route'],
      registers: [registry],
    }),
  };
}
