// A keep-alive connection to the app can be closed by the app just as the proxy reuses it: its
// FIN is still in flight when the request goes out (uvicorn closes idle connections after 5 s, and
// the fuzzer's app closes them at will). The request then fails before any answer, through no
// fault of its own, and the client got a 502 or, for a websocket handshake, a closed connection
// (found by the fuzzer). As nginx does for a cached upstream connection, and as Node's
// documentation advises (`request.reusedSocket`), such a request is sent once more, on a fresh
// connection, when sending it again cannot repeat work the app did: it carries no body, so the
// whole of it is still at hand, and the app answered nothing.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { UpstreamRequest } from './node-internals.js';

const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether the request's whole message is its head: no Content-Length above 0, no Transfer-Encoding. */
export function isBodyless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/** The try in flight for a request, and what sending it again needs. */
interface Attempt<O> {
  readonly upstream: ClientRequest;
  readonly options: O;
}

export class StaleConnectionRetry<O> {
  private readonly attempts = new WeakMap<IncomingMessage, Attempt<O>>();
  private readonly retried = new WeakSet<IncomingMessage>();

  /** Records the upstream request made for `req` (each attempt replaces the last). */
  sent(req: IncomingMessage, upstream: ClientRequest, options: O): void {
    this.attempts.set(req, { upstream, options });
  }

  /**
   * The options to send `req` again with, when `err` on its upstream request is a stale reused
   * connection worth one more try (the try is then counted as taken); else undefined. Node sets
   * `res` on the upstream request as soon as an answer (or a 101) arrives: then nothing is sent again.
   */
  retry(req: IncomingMessage, err: unknown): O | undefined {
    const a = this.attempts.get(req);
    if (!a || this.retried.has(req) || (a.upstream as UpstreamRequest).res || !a.upstream.reusedSocket || !isBodyless(req)) return undefined;
    if (!STALE_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return undefined;
    this.retried.add(req);
    return a.options;
  }
}
