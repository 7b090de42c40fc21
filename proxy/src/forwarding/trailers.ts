// Trailer fields are end-to-end (RFC 9110 §6.5) but http-proxy pipes only bodies, so without this
// they vanish at the proxy. Node parses them into rawTrailers before 'end'; they are re-sent as
// the same name/value pairs, case and order kept, on the next hop's chunked message.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Must be called before http-proxy pipes `from` into `to`: its 'end' listener then runs before the pipe's, which ends `to`. */
function relay(from: IncomingMessage, to: ClientRequest | ServerResponse): void {
  // Only a chunked body can end in trailers, and a chunked message says Transfer-Encoding (Node
  // leaves the field on the parsed headers); the rest, nearly every message, costs no listener.
  if (from.headers['transfer-encoding'] === undefined) return;
  from.once('end', () => {
    if (!from.rawTrailers.length) return;
    try {
      to.addTrailers(pairs(from.rawTrailers));
    } catch {
      // Node validated them when parsing; a field it still will not send is dropped, the body is not.
    }
  });
}

export const relayRequestTrailers = (req: IncomingMessage, proxyReq: ClientRequest): void => relay(req, proxyReq);
export const relayResponseTrailers = (proxyRes: IncomingMessage, res: ServerResponse): void => relay(proxyRes, res);
