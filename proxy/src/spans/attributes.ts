// Every span name, attribute key and error.type value the proxy emits. The logic holds no key
// strings; docs/tracing-schema.md lists the same set and a test keeps the two equal.

// Stable OpenTelemetry semantic conventions, from the package itself.
import {
  ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_REQUEST_METHOD_ORIGINAL, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE, ATTR_NETWORK_PEER_ADDRESS, ATTR_NETWORK_PROTOCOL_VERSION, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL,
  ATTR_URL_PATH, ATTR_URL_SCHEME, ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

export {
  ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_REQUEST_METHOD_ORIGINAL, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE, ATTR_NETWORK_PEER_ADDRESS, ATTR_NETWORK_PROTOCOL_VERSION, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL,
  ATTR_URL_PATH, ATTR_URL_SCHEME, ATTR_USER_AGENT_ORIGINAL,
};
// Still "incubating" there, and the package asks users to copy those rather than import them
// (they may change name between minor releases).
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size';
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';

// Ours.
export const ATTR_PROXY_CLIENT_ABORTED = 'tts.proxy.client_aborted';
export const ATTR_PROXY_INVALID_PROPAGATION = 'tts.proxy.invalid_propagation';
export const ATTR_PROXY_PARENT_FORMAT = 'tts.proxy.parent_format';
export const ATTR_PROXY_TIME_TO_FIRST_BYTE_MS = 'tts.proxy.time_to_first_byte_ms';
export const ATTR_HTTP_REQUEST_ID = 'http.request.header.x-request-id';

// Sampling (design §4): why a trace was kept when the head sampler alone would not have.
export const ATTR_TTS_SAMPLING_FORCED = 'tts.sampling.forced';
export const ATTR_TTS_SAMPLING_TAIL_REASON = 'tts.sampling.tail_reason';
// Canary routing (design §6); read by the metrics when present.
export const ATTR_TTS_UPSTREAM_ARM = 'tts.upstream.arm';
export const ATTR_TTS_UPSTREAM_REPLICA = 'tts.upstream.replica';
export const ATTR_TTS_UPSTREAM_ROUTE_REASON = 'tts.upstream.route_reason';
export const ATTR_DEPLOYMENT_VERSION = 'deployment.version';

// Gradio (design §3). Dynamic keys: `gradio.input.<name>.{length,script,value,type}`.
export const ATTR_GRADIO_VERSION = 'gradio.version';
export const ATTR_GRADIO_PROTOCOL = 'gradio.protocol';
export const ATTR_GRADIO_API_NAME = 'gradio.api_name';
export const ATTR_GRADIO_FN_INDEX = 'gradio.fn_index';
export const ATTR_GRADIO_EVENT_ID = 'gradio.event_id';
export const ATTR_GRADIO_SESSION = 'gradio.session';
export const ATTR_GRADIO_TRANSPORT = 'gradio.transport';
export const ATTR_GRADIO_QUEUE_RANK = 'gradio.queue.rank';
export const ATTR_GRADIO_QUEUE_SIZE = 'gradio.queue.size';
export const ATTR_GRADIO_QUEUE_ETA_S = 'gradio.queue.eta_s';
export const ATTR_GRADIO_OUTPUT_CHUNKS = 'gradio.output.chunks';
export const ATTR_GRADIO_END_REASON = 'gradio.end_reason';
export const ATTR_GRADIO_PARSE_ERROR = 'gradio.parse_error';
export const ATTR_GRADIO_INPUT_COUNT = 'gradio.input.count';
export const ATTR_GRADIO_UPLOAD_FILES = 'gradio.upload.files';
export const ATTR_GRADIO_SSE_MESSAGES = 'gradio.sse.messages';
export const ATTR_GRADIO_LOG_LEVEL = 'gradio.log.level';
export const ATTR_TTS_RULE_VIOLATIONS = 'tts.rule.violations';
export const GRADIO_INPUT_PREFIX = 'gradio.input.';
export const INPUT_SUFFIXES = ['length', 'script', 'value', 'type'] as const;

export const ATTR_AUDIO_INPUT_DURATION_S = 'audio.input.duration_s';
export const ATTR_AUDIO_INPUT_SAMPLE_RATE = 'audio.input.sample_rate';
export const ATTR_AUDIO_INPUT_CHANNELS = 'audio.input.channels';
export const ATTR_AUDIO_INPUT_FORMAT = 'audio.input.format';
export const ATTR_AUDIO_INPUT_CODEC = 'audio.input.codec';
export const ATTR_AUDIO_INPUT_BYTES = 'audio.input.bytes';
export const ATTR_AUDIO_OUTPUT_DURATION_S = 'audio.output.duration_s';
export const ATTR_AUDIO_OUTPUT_FORMAT = 'audio.output.format';
export const ATTR_AUDIO_OUTPUT_BYTES = 'audio.output.bytes';
export const ATTR_AUDIO_OUTPUT_SEGMENTS = 'audio.output.segments';
export const ATTR_AUDIO_OUTPUT_SAMPLE_RATE = 'audio.output.sample_rate';
export const ATTR_TTS_TIME_TO_FIRST_CHUNK_MS = 'tts.time_to_first_chunk_ms';
export const ATTR_TTS_REALTIME_FACTOR = 'tts.realtime_factor';

export const SPAN_GRADIO_PREDICT = 'gradio.predict';
export const SPAN_GRADIO_QUEUE = 'gradio.queue';
export const SPAN_GRADIO_PROCESS = 'gradio.process';

export const EVENT_GRADIO_ESTIMATION = 'gradio.estimation';
export const EVENT_GRADIO_FIRST_CHUNK = 'gradio.first_chunk';
export const EVENT_GRADIO_LOG = 'gradio.log';
export const EVENT_GRADIO_CLOSE_STREAM = 'gradio.close_stream';
export const EVENT_GRADIO_UNEXPECTED_ERROR = 'gradio.unexpected_error';
export const EVENT_GRADIO_SESSION_NOT_FOUND = 'gradio.session_not_found';

/** Why a gradio.predict span ended. */
export const EndReason = Object.freeze({
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
  EVICTED: 'evicted',
  SHUTDOWN: 'shutdown',
});

/** error.type values of proxy-generated failures (design §5). HTTP error statuses use the status code. */
export const ErrorType = Object.freeze({
  UPSTREAM_UNAVAILABLE: 'upstream_unavailable',
  UPSTREAM_TIMEOUT: 'upstream_timeout',
  UPSTREAM_RESET: 'upstream_reset',
  INTERNAL: 'internal_error',
  QUEUE_FULL: 'queue_full',
  VALIDATION_ERROR: 'validation_error',
  APP_ERROR: 'app_error',
  UNEXPECTED_ERROR: 'unexpected_error',
  SESSION_NOT_FOUND: 'session_not_found',
  PREDICTION_ABANDONED: 'prediction_abandoned',
  INVALID_INPUT_DURATION: 'invalid_input_duration',
  INVALID_TEXT_LENGTH: 'invalid_text_length',
  API_NOT_FOUND: 'api_not_found',
});
export type ErrorTypeValue = (typeof ErrorType)[keyof typeof ErrorType];

/** Every key above, for the schema parity test. */
export const ALL_ATTRIBUTE_KEYS: readonly string[] = [
  ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_REQUEST_METHOD_ORIGINAL, ATTR_HTTP_ROUTE, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_URL_PATH, ATTR_URL_SCHEME, ATTR_URL_FULL, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_CLIENT_ADDRESS,
  ATTR_NETWORK_PEER_ADDRESS, ATTR_USER_AGENT_ORIGINAL, ATTR_NETWORK_PROTOCOL_VERSION, ATTR_HTTP_REQUEST_BODY_SIZE,
  ATTR_HTTP_RESPONSE_BODY_SIZE, ATTR_ERROR_TYPE, ATTR_PROXY_CLIENT_ABORTED, ATTR_PROXY_INVALID_PROPAGATION,
  ATTR_PROXY_PARENT_FORMAT, ATTR_PROXY_TIME_TO_FIRST_BYTE_MS, ATTR_HTTP_REQUEST_ID,
  ATTR_TTS_SAMPLING_FORCED, ATTR_TTS_SAMPLING_TAIL_REASON, ATTR_TTS_UPSTREAM_ARM,
  ATTR_TTS_UPSTREAM_REPLICA, ATTR_TTS_UPSTREAM_ROUTE_REASON, ATTR_DEPLOYMENT_VERSION,
  ATTR_GRADIO_VERSION, ATTR_GRADIO_PROTOCOL, ATTR_GRADIO_API_NAME, ATTR_GRADIO_FN_INDEX, ATTR_GRADIO_EVENT_ID,
  ATTR_GRADIO_SESSION, ATTR_GRADIO_TRANSPORT, ATTR_GRADIO_QUEUE_RANK, ATTR_GRADIO_QUEUE_SIZE, ATTR_GRADIO_QUEUE_ETA_S,
  ATTR_GRADIO_OUTPUT_CHUNKS, ATTR_GRADIO_END_REASON, ATTR_GRADIO_PARSE_ERROR, ATTR_GRADIO_INPUT_COUNT,
  ATTR_GRADIO_UPLOAD_FILES, ATTR_GRADIO_SSE_MESSAGES, ATTR_GRADIO_LOG_LEVEL, ATTR_TTS_RULE_VIOLATIONS,
  ...INPUT_SUFFIXES.map((s) => `${GRADIO_INPUT_PREFIX}<name>.${s}`),
  ATTR_AUDIO_INPUT_DURATION_S, ATTR_AUDIO_INPUT_SAMPLE_RATE, ATTR_AUDIO_INPUT_CHANNELS, ATTR_AUDIO_INPUT_FORMAT,
  ATTR_AUDIO_INPUT_CODEC, ATTR_AUDIO_INPUT_BYTES, ATTR_AUDIO_OUTPUT_DURATION_S, ATTR_AUDIO_OUTPUT_FORMAT,
  ATTR_AUDIO_OUTPUT_BYTES, ATTR_AUDIO_OUTPUT_SEGMENTS, ATTR_AUDIO_OUTPUT_SAMPLE_RATE, ATTR_TTS_TIME_TO_FIRST_CHUNK_MS,
  ATTR_TTS_REALTIME_FACTOR,
];

/** Every span name the proxy creates besides the HTTP ones, and every span event name. */
export const ALL_SPAN_NAMES: readonly string[] = [SPAN_GRADIO_PREDICT, SPAN_GRADIO_QUEUE, SPAN_GRADIO_PROCESS];
export const ALL_EVENT_NAMES: readonly string[] = [
  EVENT_GRADIO_ESTIMATION, EVENT_GRADIO_FIRST_CHUNK, EVENT_GRADIO_LOG, EVENT_GRADIO_CLOSE_STREAM,
  EVENT_GRADIO_UNEXPECTED_ERROR, EVENT_GRADIO_SESSION_NOT_FOUND,
];
