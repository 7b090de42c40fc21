// One POST of one batch, classified for the retry policy. Its own agent, separate from the one
// that carries user traffic, with few sockets: a slow backend can never take the proxy's sockets.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export type FailureKind = 'network' | 'timeout' | 'http_5xx' | 'http_429' | 'http_4xx';

export type SendOutcome =
  | { readonly ok: true; readonly status: number }
  | {
    readonly ok: false; readonly retryable: boolean; readonly kind: FailureKind; readonly status?: number; readonly retryAfterMs?: number;
    /**
     * The whole batch went out and no answer came (a timeout, or the connection ended): the
     * backend may have stored it, so giving up on it later is not proof it is missing there.
     */
    readonly maybeDelivered?: boolean;
  };

export interface Transport {
  send(body: Uint8Array, contentType: string): Promise<SendOutcome>;
  close(): void;
}

export interface TransportOptions {
  readonly url: URL;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send bodies gzip-compressed (OTEL_EXPORTER_OTLP_COMPRESSION=gzip). */
  readonly gzip?: boolean;
}

/** Retry-After in seconds or an HTTP date (RFC 9110 §10.2.3), capped by the caller. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export function classifyStatus(status: number, retryAfter?: string): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  // OTLP/HTTP spec: 429, 502, 503, 504 are retryable; we retry every 5xx, as Zipkin answers 500
  // when its storage is down. Other 4xx (400, 413, 415…) would fail the same way again.
  if (status === 429) return { ok: false, retryable: true, kind: 'http_429', status, retryAfterMs: parseRetryAfter(retryAfter) };
  if (status >= 500) return { ok: false, retryable: true, kind: 'http_5xx', status, retryAfterMs: parseRetryAfter(retryAfter) };
  return { ok: false, retryable: false, kind: 'http_4xx', status };
}

export function httpTransport(opts: TransportOptions): Transport {
  const https = opts.url.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const request = https ? httpsRequest : httpRequest;
  return {
    async send(plain, contentType) {
      // The queue keeps batches uncompressed (a spool stays readable, a batch stays splittable);
      // each attempt compresses what it sends, on the thread pool: a batch of 512 spans would
      // otherwise hold the event loop, and every request with it, for milliseconds.
      const body = opts.gzip ? await gzipAsync(plain) : plain;
      const encoding: Record<string, string> = opts.gzip ? { 'content-encoding': 'gzip' } : {};
      return new Promise<SendOutcome>((resolve) => {
        let done = false;
        // 'finish': the last byte of the body was handed to the socket, so the backend may have it all.
        let sent = false;
        const finish = (o: SendOutcome) => { if (!done) { done = true; resolve(o); } };
        const unanswered = (kind: FailureKind): SendOutcome => (sent ? { ok: false, retryable: true, kind, maybeDelivered: true } : { ok: false, retryable: true, kind });
        const req = request(opts.url, {
          method: 'POST', agent,
          headers: { ...opts.headers, ...encoding, 'content-type': contentType, 'content-length': body.byteLength },
        }, (res: IncomingMessage) => {
          // Drain the body: the socket goes back to the pool only once it is read.
          res.resume();
          res.on('end', () => finish(classifyStatus(res.statusCode ?? 0, res.headers['retry-after'] as string | undefined)));
          res.on('error', () => finish(unanswered('network')));
        });
        // A backend that accepts the connection and never answers: give up on this attempt.
        const timer = setTimeout(() => {
          finish(unanswered('timeout'));
          req.destroy();
        }, opts.timeoutMs);
        timer.unref();
        req.on('close', () => clearTimeout(timer));
        req.on('error', () => finish(unanswered('network')));
        req.on('finish', () => { sent = true; });
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
