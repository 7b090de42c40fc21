import type { IncomingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1: connection-specific fields are consumed by each hop, never forwarded.
// Transfer-Encoding is left to Node, which re-frames the body for the next hop itself.
const ALWAYS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** Removes hop-by-hop headers in place; keeps Upgrade/Connection for a websocket handshake. */
export function stripHopByHop(headers: IncomingHttpHeaders, isUpgrade: boolean): void {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'upgrade' && s !== 'close' && s !== 'keep-alive');
  for (const name of [...ALWAYS, ...listed]) {
    if (isUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    if (name === 'transfer-encoding' || name === 'host') continue;
    delete headers[name];
  }
}

export function isWebsocketUpgrade(headers: IncomingHttpHeaders): boolean {
  return /\bupgrade\b/i.test(String(headers.connection ?? '')) && String(headers.upgrade ?? '').toLowerCase() === 'websocket';
}
