// What the proxy changes on the request it sends to the app, whether or not tracing observes it.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { stripHopByHopRequest } from './hop-by-hop.js';
import { stripPrivateHeaders, type PrivateHeaderNames } from './private-headers.js';
import { restoreRepeatedFields } from './repeated-fields.js';
import { relayRequestTrailers } from './trailers.js';

/** On the client's headers, after the stages have read them and before http-proxy copies them. */
export function stripRequestHeaders(req: IncomingMessage, isWebsocket: boolean, names: PrivateHeaderNames): void {
  stripHopByHopRequest(req.headers, isWebsocket);
  stripPrivateHeaders(req.headers, names);
  restoreRepeatedFields(req.headers, req.rawHeaders);
}

/**
 * On the upstream request as it is created (see outgoing-agent.ts), before the body is piped.
 * http-proxy rebuilds the target with url.parse() and a join that collapses `//` and escapes
 * characters such as `{|}^`; the app must get the target the client sent. Node writes the request
 * line from `path` with the head, so this holds wherever the head is not out yet (with `Expect`
 * Node writes it from the constructor, and http-proxy's own target stands).
 */
export function onUpstreamRequest(req: IncomingMessage, proxyReq: ClientRequest, isWebsocket: boolean, targetIsRoot: boolean): void {
  const target = req.url ?? '';
  if (targetIsRoot && target.startsWith('/') && !proxyReq.headersSent) proxyReq.path = target;
  if (!isWebsocket) relayRequestTrailers(req, proxyReq);
}
