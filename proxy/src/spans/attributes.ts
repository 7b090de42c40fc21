// Every span name, attribute key and error.type value the proxy emits. The logic holds no key
// strings; docs/tracing-schema.md lists the same set and a test keeps the two equal.

// Stable OpenTelemetry HTTP semantic conventions (semconv 1.2x+).
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size';
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';
export const ATTR_ERROR_TYPE = 'error.type';

// Ours.
export const ATTR_PROXY_CLIENT_ABORTED = 'tts.proxy.client_aborted';
export const ATTR_PROXY_INVALID_PROPAGATION = 'tts.proxy.invalid_propagation';
export const ATTR_PROXY_PARENT_FORMAT = 'tts.proxy.parent_format';
export const ATTR_PROXY_TIME_TO_FIRST_BYTE_MS = 'tts.proxy.time_to_first_byte_ms';
export const ATTR_HTTP_REQUEST_ID = 'http.request.header.x-request-id';

export const SPAN_UPSTREAM = 'upstream';

/** error.type values of proxy-generated failures (design §5). HTTP error statuses use the status code. */
export const ErrorType = Object.freeze({
  UPSTREAM_UNAVAILABLE: 'upstream_unavailable',
  UPSTREAM_TIMEOUT: 'upstream_timeout',
  UPSTREAM_RESET: 'upstream_reset',
  INTERNAL: 'internal_error',
});
export type ErrorTypeValue = (typeof ErrorType)[keyof typeof ErrorType];

/** Every key above, for the schema parity test. */
export const ALL_ATTRIBUTE_KEYS: readonly string[] = [
  ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_REQUEST_METHOD_ORIGINAL, ATTR_HTTP_ROUTE, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_URL_PATH, ATTR_URL_SCHEME, ATTR_URL_FULL, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_CLIENT_ADDRESS,
  ATTR_NETWORK_PEER_ADDRESS, ATTR_USER_AGENT_ORIGINAL, ATTR_NETWORK_PROTOCOL_VERSION, ATTR_HTTP_REQUEST_BODY_SIZE,
  ATTR_HTTP_RESPONSE_BODY_SIZE, ATTR_ERROR_TYPE, ATTR_PROXY_CLIENT_ABORTED, ATTR_PROXY_INVALID_PROPAGATION,
  ATTR_PROXY_PARENT_FORMAT, ATTR_PROXY_TIME_TO_FIRST_BYTE_MS, ATTR_HTTP_REQUEST_ID,
];
