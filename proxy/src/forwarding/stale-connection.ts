// A keep-alive connection to the app can be closed by the app just as the proxy reuses it: its
// FIN is still in flight when the request goes out (uvicorn closes idle connections after 5 s, and
// the fuzzer's app closes them at will). The request then fails before any answer, through no
// fault of its own, and the client got a 502 or, for a websocket handshake, a closed connection
// (found by the fuzzer). As nginx does for a cached upstream connection, and as Node's
// documentation advises (`request.reusedSocket`), such a request is sent once more, on a fresh
// connection, when sending it again cannot repeat work the app did: it carries no body, so the
// whole of it is still at hand, and the app answered nothing.
import type { ClientRequest, IncomingMessage } from 'node:http';

const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

interface Attempt {
  readonly upstream: ClientRequest;
  answered: boolean;
  retried: boolean;
}

/** Whether the request's whole message is its head: no Content-Length above 0, no Transfer-Encoding. */
export function isBodyless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

export class StaleConnectionRetry {
  private readonly attempts = new WeakMap<IncomingMessage, Attempt>();

  /** Records the upstream request made for `req` (each attempt replaces the last). */
  sent(req: IncomingMessage, upstream: ClientRequest): void {
    const retried = this.attempts.get(req)?.retried ?? false;
    const attempt: Attempt = { upstream, answered: false, retried };
    upstream.once('response', () => { attempt.answered = true; });
    upstream.once('upgrade', () => { attempt.answered = true; });
    this.attempts.set(req, attempt);
  }

  /**
   * Whether `err` on `req`'s upstream request is a stale reused connection worth one more try;
   * when it is, the try is counted as taken. `replayable` is false once the request's body (if
   * any) has been consumed by the failed attempt.
   */
  shouldRetry(req: IncomingMessage, err: unknown, replayable: boolean): boolean {
    const a = this.attempts.get(req);
    if (!a || a.retried || a.answered || !a.upstream.reusedSocket || !replayable) return false;
    if (!STALE_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '')) return false;
    a.retried = true;
    return true;
  }
}
