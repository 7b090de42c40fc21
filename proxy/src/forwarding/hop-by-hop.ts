import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1: connection-specific fields are consumed by each hop, never forwarded, and so is
// every field the sender names in its Connection header (e.g. curl's HTTP2-Settings, RFC 9113
// §3.2.1). Trailer is not one of them: it announces end-to-end trailer fields (RFC 9110 §6.6.2).
// Transfer-Encoding is left to Node, which re-frames each body for its next hop itself.
const ALWAYS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];
// Expect is answered by this hop: Node's server has already sent the client `100 Continue`.
// Forwarded, it would also make Node write the upstream head from the request's constructor,
// as a UTF-8 string, re-encoding every header byte above 0x7F (found by the fuzzer).
const REQUEST_ONLY = ['expect'];
const NEVER = new Set(['transfer-encoding', 'host', 'content-length']);

const NONE: readonly string[] = Object.freeze([]);
// What nearly every request and answer says: no other field is named, so no list is built.
const NAMES_NO_FIELD = /^[ \t]*(?:keep-alive|close|upgrade)?[ \t]*$/i;

function listedIn(connection: unknown): readonly string[] {
  if (connection === undefined || (typeof connection === 'string' && NAMES_NO_FIELD.test(connection))) return NONE;
  return String(connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'upgrade' && s !== 'close' && s !== 'keep-alive' && !NEVER.has(s));
}

// The fields every request loses, as lists made once: most requests name no other.
const REQUEST_FIELDS: readonly string[] = Object.freeze([...ALWAYS, ...REQUEST_ONLY]);
const keepsHandshake = (n: string): boolean => n !== 'connection' && n !== 'upgrade';
const WEBSOCKET_REQUEST_FIELDS: readonly string[] = Object.freeze(REQUEST_FIELDS.filter(keepsHandshake));

/**
 * The request fields this hop must not pass on. A websocket handshake keeps Upgrade and
 * Connection, which the next hop needs to switch protocols.
 */
export function hopByHopRequestFields(headers: IncomingHttpHeaders, isWebsocket: boolean): readonly string[] {
  const listed = listedIn(headers.connection);
  const fixed = isWebsocket ? WEBSOCKET_REQUEST_FIELDS : REQUEST_FIELDS;
  if (!listed.length) return fixed;
  const names = [...fixed, ...listed];
  return isWebsocket ? names.filter(keepsHandshake) : names;
}

/**
 * Removes the request's hop-by-hop fields in place, before http-proxy copies the headers into the
 * upstream request (removing them from that request afterwards can throw: with `Expect`, Node sends
 * its headers from the constructor). `Connection` itself stays: Node and http-proxy read it to
 * answer this client, and the upstream request overrides it (UPSTREAM_CONNECTION).
 */
export function stripHopByHopRequest(headers: IncomingHttpHeaders, isWebsocket: boolean): void {
  for (const name of hopByHopRequestFields(headers, isWebsocket)) if (name !== 'connection') delete headers[name];
  // Trailer announces fields after a chunked body; on any other framing none can follow, and Node
  // refuses to send such a head at all (ERR_HTTP_TRAILER_INVALID, thrown inside the pipe).
  if (!isChunked(headers)) delete headers.trailer;
}

const isChunked = (headers: IncomingHttpHeaders | OutgoingHttpHeaders): boolean =>
  /(?:^|,)\s*chunked\s*$/i.test(String(headers['transfer-encoding'] ?? ''));

/**
 * Whether the answer to this client can carry the app's Trailer field: only when it is relayed
 * chunked, i.e. the app sent it chunked and the client speaks HTTP/1.1 (http-proxy drops
 * Transfer-Encoding for a 1.0 client, and Node then refuses a head that announces trailers).
 */
export function keepsResponseTrailer(headers: IncomingHttpHeaders, clientHttpVersion: string): boolean {
  return clientHttpVersion !== '1.0' && isChunked(headers);
}

/** The upstream hop's own Connection field, merged over the client's: the agent keeps its sockets. */
export const UPSTREAM_CONNECTION: Readonly<Record<string, string>> = Object.freeze({ connection: 'keep-alive' });

/**
 * The fields http-proxy merges over the client's for one request: the request's own (its trace
 * context), given to this request alone and so completed in place, and the upstream Connection.
 */
export function upstreamHeaders(own: Record<string, string> | undefined): Readonly<Record<string, string>> {
  if (!own) return UPSTREAM_CONNECTION;
  own.connection = UPSTREAM_CONNECTION.connection!;
  return own;
}

const ALWAYS_SET: ReadonlySet<string> = new Set(ALWAYS);

/** Whether an answer field stops at this hop: RFC 9110 §7.6.1's own, and those its Connection lists. */
const stopsHere = (name: string, listed: readonly string[]): boolean => ALWAYS_SET.has(name) || (listed.length > 0 && listed.includes(name));

/** Removes the app's hop-by-hop fields from its response headers, in place (a refused handshake's head). */
export function stripHopByHopResponse(headers: OutgoingHttpHeaders | IncomingHttpHeaders): void {
  const listed = listedIn(headers.connection);
  for (const name of Object.keys(headers)) if (stopsHere(name, listed)) delete headers[name];
}

/**
 * The app's answer fields this hop passes on, as a new object in the same order: without the
 * hop-by-hop fields (RFC 9110 §7.6.1, as stripHopByHopResponse removes them), and without Trailer
 * unless `keepTrailer`. Not deleted from Node's parsed object: a delete turns that object into a
 * dictionary, slower for every read and for http-proxy's copy of each field to the client, and
 * the answer's `connection` and `keep-alive` are deleted from nearly every answer (issue 10).
 */
export function responseFieldsToForward(headers: IncomingHttpHeaders, keepTrailer: boolean): IncomingHttpHeaders {
  const listed = listedIn(headers.connection);
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (stopsHere(name, listed) || (!keepTrailer && name === 'trailer')) continue;
    out[name] = headers[name];
  }
  return out;
}

export function isWebsocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return /\bupgrade\b/i.test(String(headers.connection ?? '')) && String(headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * The app refused a websocket handshake with an ordinary answer. http-proxy copies its head onto
 * the client's socket and pipes the already de-chunked body after it, so a `chunked` head would
 * announce framing the body no longer has and the client would wait forever. The body is sent
 * as it is, delimited by closing the connection, which http-proxy's pipe does at its end.
 */
export function reframeRefusedUpgrade(headers: IncomingHttpHeaders): void {
  stripHopByHopResponse(headers);
  if (headers['transfer-encoding'] !== undefined) {
    delete headers['transfer-encoding'];
    delete headers.trailer;
  }
  headers.connection = 'close';
}
