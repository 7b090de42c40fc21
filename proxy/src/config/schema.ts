// Every option the proxy understands, declared once: the loader validates against this table
// and `--help` is generated from it, so the documentation cannot drift from the parser.

export type OptionType = 'string' | 'url' | 'address' | 'int' | 'number' | 'list' | 'enum' | 'bool';

export interface OptionSpec {
  readonly key: string;
  readonly type: OptionType;
  readonly default: string;
  readonly description: string;
  readonly flag?: string;
  readonly env?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export const TRACES_EXPORTERS = ['zipkin', 'console', 'none'] as const;
export const PROPAGATORS = ['tracecontext', 'b3', 'b3multi', 'baggage', 'none'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'upstream', type: 'url', flag: '--upstream', env: 'TTS_PROXY_UPSTREAM', default: 'http://127.0.0.1:7860',
    description: 'Base URL of the app to proxy (an unmodified Gradio server).' },
  { key: 'listen', type: 'address', flag: '--listen', env: 'TTS_PROXY_LISTEN', default: '127.0.0.1:7861',
    description: 'host:port the proxy serves user traffic on.' },
  { key: 'admin', type: 'address', flag: '--admin', env: 'TTS_PROXY_ADMIN', default: '127.0.0.1:9464',
    description: 'host:port of the admin server (/healthz, /metrics); never expose it publicly.' },
  { key: 'serviceName', type: 'string', env: 'OTEL_SERVICE_NAME', default: 'tts-trace-proxy',
    description: 'service.name of the exported spans.' },
  { key: 'resourceAttributes', type: 'string', env: 'OTEL_RESOURCE_ATTRIBUTES', default: '',
    description: 'Extra resource attributes, key=value pairs separated by commas (values percent-encoded).' },
  { key: 'tracesExporter', type: 'list', env: 'OTEL_TRACES_EXPORTER', default: 'zipkin', choices: TRACES_EXPORTERS,
    description: 'Span exporters, comma separated: zipkin, console, none.' },
  { key: 'zipkinEndpoint', type: 'url', env: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', default: 'http://localhost:9411/api/v2/spans',
    description: 'Zipkin v2 JSON span endpoint.' },
  { key: 'propagators', type: 'list', env: 'OTEL_PROPAGATORS', default: 'tracecontext,b3,b3multi', choices: PROPAGATORS,
    description: 'Inbound context formats in the order they are tried. Both W3C and B3 are always injected upstream.' },
  { key: 'bspScheduleDelayMs', type: 'int', env: 'OTEL_BSP_SCHEDULE_DELAY', default: '1000', min: 0, max: 600000,
    description: 'Delay between two span exports, in ms.' },
  { key: 'bspMaxQueueSize', type: 'int', env: 'OTEL_BSP_MAX_QUEUE_SIZE', default: '8192', min: 1, max: 1000000,
    description: 'Spans kept waiting for export; beyond this new spans are dropped (never the request).' },
  { key: 'bspMaxExportBatchSize', type: 'int', env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', min: 1, max: 100000,
    description: 'Spans sent in one export call.' },
  { key: 'bspExportTimeoutMs', type: 'int', env: 'OTEL_BSP_EXPORT_TIMEOUT', default: '10000', min: 1, max: 600000,
    description: 'Time one export call may take, in ms.' },
  { key: 'upstreamIdleTimeoutMs', type: 'int', flag: '--upstream-idle-timeout', env: 'TTS_PROXY_UPSTREAM_IDLE_TIMEOUT_MS', default: '600000', min: 0, max: 86400000,
    description: 'Abort an upstream exchange that sends nothing for this long (ms) and answer 504; 0 disables. Gradio streams send a heartbeat every 15 s, so keep it well above that.' },
  { key: 'shutdownTimeoutMs', type: 'int', flag: '--shutdown-timeout', env: 'TTS_PROXY_SHUTDOWN_TIMEOUT_MS', default: '10000', min: 0, max: 600000,
    description: 'On SIGTERM/SIGINT: time in-flight requests get to finish before they are cut, then spans are flushed.' },
  { key: 'accessLog', type: 'string', flag: '--access-log', env: 'TTS_PROXY_ACCESS_LOG', default: 'stdout',
    description: 'Where the one-JSON-line-per-request access log goes: stdout, stderr, off, or a file path.' },
  { key: 'logLevel', type: 'enum', flag: '--log-level', env: 'TTS_PROXY_LOG_LEVEL', default: 'info', choices: LOG_LEVELS,
    description: 'Level of diagnostic logs on stderr.' },
];
