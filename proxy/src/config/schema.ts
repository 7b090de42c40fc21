// Every option the proxy understands, declared once: the loader validates against this table
// and `--help` is generated from it, so the documentation cannot drift from the parser.
import { GUARD_SITES } from '../guard.js';

export type OptionType = 'string' | 'path' | 'url' | 'address' | 'int' | 'number' | 'list' | 'enum' | 'bool';

export interface OptionSpec {
  readonly key: string;
  readonly type: OptionType;
  /** Default as text; `''` may mean "computed at load time" where the option says so. */
  readonly default: string;
  readonly description: string;
  readonly flag?: string;
  readonly env?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export const TRACES_EXPORTERS = ['zipkin', 'file', 'otlp', 'console', 'none'] as const;
export const SAMPLERS = [
  'parentbased_traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'traceidratio', 'always_on', 'always_off',
] as const;
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export const LOG_FORMATS = ['json', 'text'] as const;
export const PROPAGATORS = ['tracecontext', 'b3', 'b3multi', 'baggage', 'none'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const FAULT_INJECT_SITES = ['all', ...GUARD_SITES] as const;

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'upstream', type: 'url', flag: '--upstream', env: 'TTS_PROXY_UPSTREAM', default: 'http://127.0.0.1:7860',
    description: 'Base URL of the app to proxy (an unmodified Gradio server).' },
  { key: 'upstreamVersion', type: 'string', flag: '--upstream-version', env: 'TTS_PROXY_UPSTREAM_VERSION', default: 'unversioned',
    description: 'deployment.version of --upstream when no arms are configured.' },
  { key: 'arms', type: 'string', flag: '--arm', env: 'TTS_PROXY_ARMS', default: '',
    description: 'Gray release: an arm as NAME=VERSION:WEIGHT:URL[,URL…] (repeat the flag; in the variable separate arms with ;). Replaces --upstream. Each client stays on one arm and replica: X-Canary header, then the proxy cookie, then a hash of the client address.' },
  { key: 'armsFile', type: 'string', flag: '--arms-file', env: 'TTS_PROXY_ARMS_FILE', default: '',
    description: 'A JSON file with the arms: [{"name":"stable","version":"v1","weight":90,"replicas":["http://…"]}, …]. Used when no --arm is given.' },
  { key: 'canaryHeader', type: 'string', flag: '--canary-header', env: 'TTS_PROXY_CANARY_HEADER', default: 'x-canary',
    description: 'Request header that picks an arm by name (an explicit override, e.g. for testers).' },
  { key: 'canaryCookie', type: 'string', flag: '--canary-cookie', env: 'TTS_PROXY_CANARY_COOKIE', default: 'tts_route',
    description: 'Cookie the proxy sets to keep a client on its arm and replica (only when there is more than one of either).' },
  { key: 'canaryCookieMaxAgeS', type: 'int', flag: '--canary-cookie-max-age', env: 'TTS_PROXY_CANARY_COOKIE_MAX_AGE_S', default: '86400', min: 60, max: 31536000,
    description: 'Lifetime of that cookie, in seconds.' },
  { key: 'spanFile', type: 'string', flag: '--span-file', env: 'TTS_PROXY_SPAN_FILE', default: 'spans.zipkin.json',
    description: 'Where the file exporter (OTEL_TRACES_EXPORTER=file) writes spans: one Zipkin v2 JSON array, loadable in Zipkin\'s UI.' },
  { key: 'listen', type: 'address', flag: '--listen', env: 'TTS_PROXY_LISTEN', default: '127.0.0.1:7861',
    description: 'host:port the proxy serves user traffic on.' },
  { key: 'admin', type: 'address', flag: '--admin', env: 'TTS_PROXY_ADMIN', default: '127.0.0.1:9464',
    description: 'host:port of the admin server (/healthz, /metrics, /admin/*), or unix:/path for a unix socket (its file permissions then guard admin writes); never expose it publicly.' },
  { key: 'serviceName', type: 'string', env: 'OTEL_SERVICE_NAME', default: 'tts-trace-proxy',
    description: 'service.name of the exported spans.' },
  { key: 'resourceAttributes', type: 'string', env: 'OTEL_RESOURCE_ATTRIBUTES', default: '',
    description: 'Extra resource attributes, key=value pairs separated by commas (values percent-encoded).' },
  { key: 'tracesExporter', type: 'list', env: 'OTEL_TRACES_EXPORTER', default: 'zipkin', choices: TRACES_EXPORTERS,
    description: 'Span exporters, comma separated (several at once are fine): zipkin, otlp (OTLP/HTTP), console, none.' },
  { key: 'zipkinEndpoint', type: 'url', env: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', default: 'http://localhost:9411/api/v2/spans',
    description: 'Zipkin v2 JSON span endpoint.' },
  { key: 'otlpEndpoint', type: 'url', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318',
    description: 'OTLP/HTTP base URL; spans go to <base>/v1/traces.' },
  { key: 'otlpTracesEndpoint', type: 'string', env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: '',
    description: 'OTLP/HTTP traces URL, used as is (wins over OTEL_EXPORTER_OTLP_ENDPOINT).' },
  { key: 'otlpProtocol', type: 'enum', env: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/protobuf', choices: OTLP_PROTOCOLS,
    description: 'OTLP encoding: http/protobuf or http/json (grpc is not supported).' },
  { key: 'otlpTracesProtocol', type: 'enum', env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: '', choices: ['', ...OTLP_PROTOCOLS],
    description: 'OTLP encoding for traces; empty: OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { key: 'otlpHeaders', type: 'string', env: 'OTEL_EXPORTER_OTLP_HEADERS', default: '',
    description: 'Extra headers on OTLP requests (e.g. authorization), key=value pairs separated by commas, values percent-encoded.' },
  { key: 'tracesSampler', type: 'enum', env: 'OTEL_TRACES_SAMPLER', default: 'parentbased_traceidratio', choices: SAMPLERS,
    description: 'Head sampler. The decision is what the app sees in the sampled flag; errors, slow and forced traces are kept by the proxy regardless (tail keep).' },
  { key: 'tracesSamplerArg', type: 'number', env: 'OTEL_TRACES_SAMPLER_ARG', default: '1', min: 0, max: 1,
    description: 'Ratio of new traces the head sampler keeps (traceidratio samplers).' },
  { key: 'tailSlowMs', type: 'int', flag: '--tail-slow-threshold', env: 'TTS_PROXY_TAIL_SLOW_MS', default: '5000', min: 0, max: 86400000,
    description: 'Keep a trace whose SERVER or gradio.predict span takes at least this long (ms), whatever the head decision; 0 disables.' },
  { key: 'tailMaxWaitMs', type: 'int', env: 'TTS_PROXY_TAIL_MAX_WAIT_MS', default: '600000', min: 100, max: 86400000,
    description: 'A trace the head sampler dropped is held until its last local span ends, but no longer than this (ms); then it is decided on what has ended.' },
  { key: 'tailMaxTraces', type: 'int', env: 'TTS_PROXY_TAIL_MAX_TRACES', default: '10000', min: 1, max: 1000000,
    description: 'Unsampled traces held for the tail decision; beyond this the oldest is decided early (counted).' },
  { key: 'tailMaxSpans', type: 'int', env: 'TTS_PROXY_TAIL_MAX_SPANS', default: '20000', min: 1, max: 10000000,
    description: 'Ended spans held across all those traces; beyond this the oldest traces are decided early (counted).' },
  { key: 'tailMaxSpansPerTrace', type: 'int', env: 'TTS_PROXY_TAIL_MAX_SPANS_PER_TRACE', default: '256', min: 1, max: 100000,
    description: 'Ended spans held for one trace; further spans of that trace are dropped (counted).' },
  { key: 'debugToken', type: 'string', env: 'TTS_PROXY_DEBUG_TOKEN', default: '',
    description: 'Secret that forces sampling when a request carries X-Debug-Tracing: <token>. Empty: the header forces nothing.' },
  { key: 'forceB3Debug', type: 'bool', env: 'TTS_PROXY_FORCE_B3_DEBUG', default: 'true',
    description: 'B3 debug (X-B3-Flags: 1, or b3 with "d") forces sampling, as Zipkin defines it.' },
  { key: 'forceMaxPerSecond', type: 'number', env: 'TTS_PROXY_FORCE_MAX_PER_S', default: '10', min: 0, max: 1000000,
    description: 'Forced traces allowed per second (burst: one second\'s worth); more are refused and counted. 0: no limit.' },
  { key: 'exportRetryInitialMs', type: 'int', env: 'TTS_PROXY_EXPORT_RETRY_INITIAL_MS', default: '1000', min: 1, max: 600000,
    description: 'First retry delay after a failed export (network error, timeout, 5xx, 429); doubles per failure, with full jitter.' },
  { key: 'exportRetryMaxMs', type: 'int', env: 'TTS_PROXY_EXPORT_RETRY_MAX_MS', default: '30000', min: 1, max: 3600000,
    description: 'Longest retry delay.' },
  { key: 'exportMaxAttempts', type: 'int', env: 'TTS_PROXY_EXPORT_MAX_ATTEMPTS', default: '10', min: 1, max: 1000,
    description: 'Attempts for one batch before it goes to the spool (or is dropped without one).' },
  { key: 'spoolDir', type: 'string', flag: '--spool-dir', env: 'TTS_PROXY_SPOOL_DIR', default: '',
    description: 'Directory for the export spool: batches that cannot be sent or held in memory are written here and replayed when the backend is back. One directory per replica. Empty: no spool.' },
  { key: 'spoolMaxBytes', type: 'int', flag: '--spool-max-bytes', env: 'TTS_PROXY_SPOOL_MAX_BYTES', default: '268435456', min: 1024, max: 1099511627776,
    description: 'Size cap of the spool per exporter; when full the oldest batches are deleted (counted as dropped).' },
  { key: 'propagators', type: 'list', env: 'OTEL_PROPAGATORS', default: 'tracecontext,b3,b3multi', choices: PROPAGATORS,
    description: 'Inbound context formats in the order they are tried. Both W3C and B3 are always injected upstream.' },
  { key: 'bspScheduleDelayMs', type: 'int', env: 'OTEL_BSP_SCHEDULE_DELAY', default: '1000', min: 0, max: 600000,
    description: 'Longest time a span waits in memory before its batch is sent, in ms.' },
  { key: 'bspMaxQueueSize', type: 'int', env: 'OTEL_BSP_MAX_QUEUE_SIZE', default: '8192', min: 1, max: 1000000,
    description: 'Spans waiting for export in memory, per exporter; beyond this the oldest batch goes to the spool, or is dropped without one (counted; never the request).' },
  { key: 'bspMaxExportBatchSize', type: 'int', env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', min: 1, max: 100000,
    description: 'Spans sent in one export call.' },
  { key: 'bspExportTimeoutMs', type: 'int', env: 'OTEL_BSP_EXPORT_TIMEOUT', default: '10000', min: 1, max: 600000,
    description: 'Time one export request may take, in ms; a backend that accepts the connection but never answers fails after this and is retried.' },
  { key: 'upstreamIdleTimeoutMs', type: 'int', flag: '--upstream-idle-timeout', env: 'TTS_PROXY_UPSTREAM_IDLE_TIMEOUT_MS', default: '600000', min: 0, max: 86400000,
    description: 'Abort an upstream exchange that sends nothing for this long (ms) and answer 504; 0 disables. Gradio streams send a heartbeat every 15 s, so keep it well above that.' },
  { key: 'shutdownTimeoutMs', type: 'int', flag: '--shutdown-timeout', env: 'TTS_PROXY_SHUTDOWN_TIMEOUT_MS', default: '10000', min: 0, max: 600000,
    description: 'On SIGTERM/SIGINT: time in-flight requests get to finish before they are cut, then spans are flushed.' },
  { key: 'accessLog', type: 'string', flag: '--access-log', env: 'TTS_PROXY_ACCESS_LOG', default: 'stdout',
    description: 'Where the one-JSON-line-per-request access log goes: stdout, stderr, off, or a file path.' },
  { key: 'gradio', type: 'bool', flag: '--gradio', env: 'TTS_PROXY_GRADIO', default: 'true',
    description: 'Parse the Gradio protocol (prediction spans, input/output metadata). false: plain HTTP spans only.' },
  { key: 'sessionKey', type: 'string', env: 'TTS_PROXY_SESSION_KEY', default: '',
    description: 'Secret for gradio.session = HMAC(session_hash). Set the same value on every replica so sessions correlate; empty: a random key per process.' },
  { key: 'probeOutputs', type: 'bool', flag: '--probe-outputs', env: 'TTS_PROXY_PROBE_OUTPUTS', default: 'true',
    description: 'After a prediction, read the output audio header (first bytes of the file, or the HLS playlist) from the app to report its duration.' },
  { key: 'predictionTtlMs', type: 'int', flag: '--prediction-ttl', env: 'TTS_PROXY_PREDICTION_TTL_MS', default: '1800000', min: 1000, max: 86400000,
    description: 'A prediction with no completion after this long (ms) ends with gradio.end_reason=expired.' },
  { key: 'maxPredictions', type: 'int', flag: '--max-predictions', env: 'TTS_PROXY_MAX_PREDICTIONS', default: '10000', min: 1, max: 1000000,
    description: 'Predictions in flight the proxy tracks; the oldest is ended (evicted) beyond this.' },
  { key: 'maxFiles', type: 'int', flag: '--max-files', env: 'TTS_PROXY_MAX_FILES', default: '10000', min: 1, max: 1000000,
    description: 'Uploaded-file metadata entries remembered for later predictions (30 min each).' },
  { key: 'ruleMaxAudioS', type: 'number', flag: '--rule-max-input-audio', env: 'TTS_PROXY_RULE_MAX_INPUT_AUDIO_S', default: '0', min: 0, max: 86400,
    description: 'Input audio longer than this (s) is reported as invalid_input_duration in tts.rule.violations; 0 disables.' },
  { key: 'ruleMaxTextChars', type: 'int', flag: '--rule-max-text', env: 'TTS_PROXY_RULE_MAX_TEXT_CHARS', default: '0', min: 0, max: 10000000,
    description: 'Text input longer than this (characters) is reported as invalid_text_length; 0 disables.' },
  { key: 'gate', type: 'bool', flag: '--gate', env: 'TTS_PROXY_GATE', default: 'false',
    description: 'Gate mode: hold each submission until the input rules are checked and answer 422 (with X-Trace-Id) when one is violated, instead of only annotating.' },
  { key: 'gateMaxBodyBytes', type: 'int', flag: '--gate-max-body', env: 'TTS_PROXY_GATE_MAX_BODY_BYTES', default: '1048576', min: 1024, max: 1073741824,
    description: 'Largest submission body gate mode holds; a larger one is forwarded unchecked.' },
  { key: 'logLevel', type: 'enum', flag: '--log-level', env: 'TTS_PROXY_LOG_LEVEL', default: 'info', choices: LOG_LEVELS,
    description: 'Level of diagnostic logs on stderr.' },
  { key: 'logFormat', type: 'enum', flag: '--log-format', env: 'TTS_PROXY_LOG_FORMAT', default: 'json', choices: LOG_FORMATS,
    description: 'Format of the access log and the diagnostic log: json (one object per line) or text (logfmt key=value).' },
  { key: 'adminToken', type: 'string', env: 'TTS_PROXY_ADMIN_TOKEN', default: '',
    description: 'Secret for admin writes (POST/DELETE /admin/*), sent as Authorization: Bearer <token>. Empty: admin writes are refused unless --admin is a unix socket. Reads (/healthz, /metrics, GET /admin/sampling) need no token.' },
  { key: 'trustedProxies', type: 'string', flag: '--trusted-proxies', env: 'TTS_PROXY_TRUSTED_PROXIES', default: '127.0.0.0/8,::1',
    description: 'Comma-separated addresses or CIDR ranges of the hops whose X-Forwarded-For is believed (like nginx set_real_ip_from, recursive): the client is the rightmost address not in this list. Used for client.address, canary hashing and the debug-token guess limit. --trusted-proxies \'\': X-Forwarded-For is never believed.' },
  { key: 'debugTokenGuessesPerMin', type: 'int', env: 'TTS_PROXY_DEBUG_TOKEN_GUESSES_PER_MIN', default: '10', min: 1, max: 1000000,
    description: 'Wrong X-Debug-Tracing tokens allowed per client address and minute (burst: a minute\'s worth); past that the header is ignored, even when right, and counted as guess_limited.' },
  { key: 'faultInject', type: 'list', env: 'TTS_PROXY_FAULT_INJECT', default: '', choices: FAULT_INJECT_SITES,
    description: 'TEST ONLY: observation hooks (comma-separated guard sites, or all) that throw before they run, to show that traffic is unaffected; each failure is counted in tts_proxy_observation_failures_total. Never set in production.' },
];
