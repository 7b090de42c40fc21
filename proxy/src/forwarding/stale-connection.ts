// A keep-alive connection to the app can be closed by the app just as the proxy reuses it: its
// FIN is still in flight when the request goes out (uvicorn closes idle connections after 5 s, and
// the fuzzer's app closes them at will). The request then fails before any answer, through no
// fault of its own, and the client got a 502 (found by the fuzzer). As nginx does for a cached
// upstream connection, and as Node's documentation advises (`request.reusedSocket`), such a
// request is sent once more, on a fresh connection, when sending it again cannot repeat work the
// app did: it carries no body, so the whole of it is still at hand, and the app answered nothing.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { UpstreamRequest } from './node-internals.js';

const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether the request's whole message is its head: no Content-Length above 0, no Transfer-Encoding. */
export function isBodyless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/**
 * One client request's tries toward the app. Each request gets its own, held by whoever forwards
 * it: a table keyed by request (a WeakMap, before) kept every request's objects alive through
 * young-generation collections, which then promoted them whole to the old generation, where only
 * full collections reclaim them (issue 10: half the proxy's mark-compacts).
 */
export class StaleConnectionRetry {
  private upstream?: ClientRequest;
  private retried = false;

  /** Records the upstream request of the latest try. */
  sent(upstream: ClientRequest): void {
    this.upstream = upstream;
  }

  /**
   * Whether `req` should be sent again after `err` on its upstream request: a stale reused
   * connection, worth one more try (the try is then counted as taken). Node sets `res` on the
   * upstream request as soon as an answer (or a 101) arrives: then nothing is sent again.
   */
  retry(req: IncomingMessage, err: unknown): boolean {
    const up = this.upstream;
    if (!up || this.retried || (up as UpstreamRequest).res || !up.reusedSocket || !isBodyless(req)) return false;
    if (!STALE_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return false;
    this.retried = true;
    return true;
  }
}
