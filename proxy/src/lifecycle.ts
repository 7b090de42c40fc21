// One object per forwarded request, in the shape of undici's dispatch handler: the composition
// root creates it once the stages have run and hands it each event of the exchange as it happens
// (the upstream request, its answer, a failure, the close). It owns the request's state from
// there on and ends it exactly once. Nothing looks a request up in a table: whoever forwards the
// request holds its lifecycle. Observers are reached only through observer.ts.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { classify, type Classified } from './errors.js';
import { CLIENT_CLOSED_REQUEST, closeRequest, endClientSpan, endTimeNow, finishRequest, type FinishDeps } from './finish.js';
import type { TraceFields } from './forwarding/error-answer.js';
import { isBodyless } from './forwarding/stale-connection.js';
import { guard, Site } from './guard.js';
import type { Metrics } from './metrics.js';
import type { Observer } from './observer.js';
import type { RequestState } from './request-state.js';
import type { SampledFlag } from './sampling/reveal.js';
import { toHrTime } from './spans/time.js';
import { within } from './within.js';

export interface LifecycleDeps {
  readonly metrics: Metrics;
  readonly finish: FinishDeps;
  /** The sampled flag the client is shown (sampling/reveal.ts). */
  readonly reveal: SampledFlag;
  /** Told of every body chunk forwarded either way (body-scavenger.ts). */
  readonly bodies?: { passed(bytes: number): void };
}

/** How long the SERVER span waits for the parsers before it ends without their results. */
export const SETTLE_MS = 5000;

/** `X-Trace-Id` and `traceresponse` for a request's answer; empty when it has no SERVER span. */
export function traceHeaders(s: RequestState, reveal: SampledFlag): Record<string, string> {
  const sc = s.serverSpan?.spanContext();
  if (!sc) return {};
  const flags = reveal(s.parentContext, sc) ? '01' : '00';
  return { 'x-trace-id': sc.traceId, traceresponse: `00-${sc.traceId}-${sc.spanId}-${flags}` };
}

/** The trace fields for an answer the proxy writes itself (HTTP or a websocket handshake), under the guard. */
export function traceFieldsFor(s: RequestState, reveal: SampledFlag): TraceFields | undefined {
  return guard(Site.TRACE_HEADERS, () => ({ traceId: s.serverSpan?.spanContext().traceId, headers: traceHeaders(s, reveal) }));
}

/** Why the exchange with the app failed, on the request (error.type) and its CLIENT span (the code only). */
export function recordUpstreamFailure(s: RequestState, err: unknown): Classified {
  const c = classify(err, s.timedOut);
  s.errorType = c.errorType;
  s.clientSpan?.recordException({ name: (err as Error).name ?? 'Error', message: (err as NodeJS.ErrnoException).code ?? 'error' }, toHrTime(performance.timeOrigin + performance.now()));
  return c;
}

export class RequestLifecycle {
  private readonly connection: Socket;
  private closed = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly state: RequestState,
    private readonly observer: Observer | undefined,
    private readonly deps: LifecycleDeps,
  ) {
    state.observer = observer;
    deps.metrics.activeRequests.inc({ http_request_method: state.method });
    // Without Transfer-Encoding or a non-zero Content-Length no body follows (RFC 9112 §6.3):
    // nothing to count, and no listener (a GET is most of a page load).
    if (!isBodyless(req)) req.on('data', this.onRequestData);
    if (observer?.onRequestEnd) req.on('end', observer.onRequestEnd);
    // A pipelined request whose answer was still queued behind an earlier one when the connection
    // died: Node never gives its response a socket, so that response never emits 'close', and
    // without this its state, spans and gauges would leak (found by the fuzzer). The listener
    // leaves with the response, so a long keep-alive connection does not collect them. (Listening
    // only when the response has no socket yet left requests in flight: test/e2e/http-strictness.)
    this.connection = req.socket;
    this.connection.once('close', this.onConnectionClose);
    res.on('close', this.onResponseClose);
  }

  /** The upstream request exists; not a byte of it is written yet. */
  upstreamRequest(proxyReq: ClientRequest): void {
    const s = this.state;
    s.proxyReq = proxyReq;
    proxyReq.on('timeout', () => { s.timedOut = true; });
  }

  /**
   * The app's answer head arrived, after the forwarding policy and before http-proxy copies its
   * fields: the trace fields and a pin cookie go in here. The observer's hooks are guarded
   * (guardObserver), so they never throw into these events.
   */
  upstreamResponse(proxyRes: IncomingMessage): void {
    const s = this.state;
    s.proxyRes = proxyRes;
    s.upstreamStatus = proxyRes.statusCode;
    if (String(proxyRes.headers['content-type'] ?? '').startsWith('text/event-stream')) this.deps.metrics.streamOpened(s, 'sse');
    if (s.setCookie) proxyRes.headers['set-cookie'] = [...(proxyRes.headers['set-cookie'] ?? []), s.setCookie];
    guard(Site.TRACE_HEADERS, () => {
      const headers = traceHeaders(s, this.deps.reveal);
      for (const k in headers) this.res.setHeader(k, headers[k]!);
    });
    const obs = this.observer;
    obs?.onResponse?.(proxyRes);
    // Observing 'data' alongside http-proxy's pipe neither consumes nor delays the bytes.
    proxyRes.on('data', (chunk: Buffer) => {
      if (s.firstByteNs === undefined) s.firstByteNs = process.hrtime.bigint();
      s.responseBytes += chunk.length;
      this.deps.bodies?.passed(chunk.length);
      obs?.onResponseChunk?.(chunk);
    });
    proxyRes.on('end', () => {
      endClientSpan(s);
      obs?.onResponseEnd?.();
    });
  }

  /** The app's answer ended before its body did (the app died, or the idle timeout cut it). */
  upstreamCut(): void {
    const s = this.state;
    // A client that left is not the app's failure.
    if (!s.clientAborted) s.errorType ??= classify({ code: 'ECONNRESET' }, s.timedOut).errorType;
  }

  /** http-proxy gave up on the app: records why, and says how the client is answered. */
  upstreamFailed(err: unknown): Classified {
    return recordUpstreamFailure(this.state, err);
  }

  /** The trace fields for an answer the proxy writes itself. */
  traceFields(): TraceFields | undefined {
    return traceFieldsFor(this.state, this.deps.reveal);
  }

  private readonly onRequestData = (chunk: Buffer): void => {
    this.state.requestBytes += chunk.length;
    this.deps.bodies?.passed(chunk.length);
    this.observer?.onRequestChunk?.(chunk);
  };

  private readonly onConnectionClose = (): void => {
    if (!this.res.socket) this.close();
  };

  private readonly onResponseClose = (): void => {
    this.connection.off('close', this.onConnectionClose);
    this.close();
  };

  /** The exchange is over, whichever way: once. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.state;
    const res = this.res;
    const end = endTimeNow();
    // An error the observers saw in the stream (a session the app does not know) is the request's.
    if (s.found.errorType) s.errorType = s.found.errorType;
    const aborted = !res.writableFinished && !s.errorType;
    if (aborted) {
      s.clientAborted = true;
      // Tell the app promptly: Gradio cancels queued work when its SSE reader goes away.
      s.proxyRes?.destroy();
      s.proxyReq?.destroy();
    }
    this.observer?.onClose?.(aborted);
    guard(Site.FINISH, () => closeRequest(s, this.deps.metrics));
    // As nginx: a client that left before any answer reached it is logged as 499, not as the default 200.
    const status = aborted && (!res.headersSent || !res.socket) ? CLIENT_CLOSED_REQUEST : res.statusCode;
    const done = () => guard(Site.FINISH, () => finishRequest(s, status, this.deps.finish, end));
    // The SERVER span waits (bounded) for the parsers so it can carry their results; never rejects.
    const pending = this.observer?.settled?.();
    if (!pending) return void done();
    void within(pending, SETTLE_MS).then(done);
  }
}
