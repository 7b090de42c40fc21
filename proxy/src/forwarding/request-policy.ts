// What the proxy changes on the request it sends to the app, whether or not tracing observes it.
// Runs on the ClientRequest before its headers are written (see outgoing-agent.ts).
import type { ClientRequest, IncomingMessage } from 'node:http';
import { hopByHopRequestFields } from './hop-by-hop.js';
import { relayRequestTrailers } from './trailers.js';

export function applyRequestPolicy(req: IncomingMessage, proxyReq: ClientRequest, isWebsocket: boolean): void {
  for (const name of hopByHopRequestFields(req.headers, isWebsocket)) proxyReq.removeHeader(name);
  if (!isWebsocket) relayRequestTrailers(req, proxyReq);
}
