import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1: connection-specific fields are consumed by each hop, never forwarded, and so is
// every field the sender names in its Connection header (e.g. curl's HTTP2-Settings, RFC 9113
// §3.2.1). Trailer is not one of them: it announces end-to-end trailer fields (RFC 9110 §6.6.2).
// Transfer-Encoding is left to Node, which re-frames each body for its next hop itself.
const ALWAYS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];
const NEVER = new Set(['transfer-encoding', 'host', 'content-length']);

function listedIn(connection: unknown): string[] {
  return String(connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'upgrade' && s !== 'close' && s !== 'keep-alive' && !NEVER.has(s));
}

/**
 * The request fields this hop must not pass on. It reads, never mutates, the client's headers:
 * Node and http-proxy still need the client's own Connection to decide whether to keep its socket.
 * A websocket handshake keeps Upgrade and Connection, which the next hop needs to switch protocols.
 */
export function hopByHopRequestFields(headers: IncomingHttpHeaders, isWebsocket: boolean): string[] {
  const names = [...ALWAYS, ...listedIn(headers.connection)];
  return isWebsocket ? names.filter((n) => n !== 'connection' && n !== 'upgrade') : names;
}

/** Removes the app's hop-by-hop fields from its response headers, in place, before they are copied to the client. */
export function stripHopByHopResponse(headers: OutgoingHttpHeaders | IncomingHttpHeaders): void {
  for (const name of [...listedIn(headers.connection), ...ALWAYS]) delete headers[name];
}

export function isWebsocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return /\bupgrade\b/i.test(String(headers.connection ?? '')) && String(headers.upgrade ?? '').toLowerCase() === 'websocket';
}
