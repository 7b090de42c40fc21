// The websocket counterpart of lifecycle.ts: one object per observed handshake, created once the
// stages have run and handed each event of the exchange as it happens (the upstream request, the
// app's answer or its 101, a failure), ending the request exactly once when the client's socket
// closes. Observers are reached only through observer.ts.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closeRequest, finishRequest, type FinishDeps } from './finish.js';
import { guard, Site } from './guard.js';
import type { Classified } from './errors.js';
import type { TraceFields } from './forwarding/error-answer.js';
import { recordUpstreamFailure, SETTLE_MS, traceFieldsFor } from './lifecycle.js';
import type { Metrics } from './metrics.js';
import type { Observer } from './observer.js';
import type { RequestState } from './request-state.js';
import type { SampledFlag } from './sampling/reveal.js';
import { within } from './within.js';

export interface WebsocketLifecycleDeps {
  readonly metrics: Metrics;
  readonly finish: FinishDeps;
  /** The sampled flag the client is shown (sampling/reveal.ts). */
  readonly reveal: SampledFlag;
}

export class WebsocketLifecycle {
  /** The status of the proxy's own answer, when the app failed before answering. */
  private answered?: number;

  constructor(
    private readonly socket: Duplex,
    readonly state: RequestState,
    private readonly observer: Observer | undefined,
    private readonly deps: WebsocketLifecycleDeps,
  ) {
    deps.metrics.activeRequests.inc({ http_request_method: state.method });
    socket.once('close', this.onClose);
    socket.on('error', () => undefined);
  }

  /** The handshake's upstream request exists; not a byte of it is written yet. */
  upstreamRequest(proxyReq: ClientRequest): void {
    const s = this.state;
    s.proxyReq = proxyReq;
    proxyReq.on('response', (r: IncomingMessage) => { s.upstreamStatus = r.statusCode; });
    proxyReq.on('upgrade', this.onUpgrade);
  }

  /** http-proxy gave up on the app: records why, and says how the client is answered. */
  upstreamFailed(err: unknown): Classified {
    const c = recordUpstreamFailure(this.state, err);
    this.answered = c.status;
    return c;
  }

  /** The trace fields for an answer the proxy writes itself. */
  traceFields(): TraceFields | undefined {
    return traceFieldsFor(this.state, this.deps.reveal);
  }

  private readonly onUpgrade = (proxyRes: IncomingMessage, proxySocket: Duplex): void => {
    const s = this.state;
    s.upstreamStatus = 101;
    this.deps.metrics.streamOpened(s, 'websocket');
    const obs = this.observer;
    if (!obs) return;
    obs.onResponse?.(proxyRes);
    // Not now: this runs ahead of http-proxy's own 'upgrade' listener, which unshifts the app's
    // first bytes (proxyHead: Gradio 3.x's send_hash often rides in the 101's packet) into
    // proxySocket and only then pipes it to the client. A 'data' listener added here makes the
    // socket flowing, so that unshift would hand those bytes to the observer alone, and the
    // client would never get them (found with Chromium on Gradio 3.50.2). On the next tick the
    // pipes exist, and they and the observer see every byte, in order, from the start.
    process.nextTick(() => {
      if (obs.onRequestChunk) this.socket.on('data', obs.onRequestChunk);
      if (obs.onResponseChunk) proxySocket.on('data', obs.onResponseChunk);
    });
  };

  private readonly onClose = (): void => {
    const s = this.state;
    this.observer?.onClose?.(false);
    // The exchange is over: it leaves the in-flight gauges now, as an HTTP one does, though its
    // span waits for the parsers below (found by the fuzzer's health check).
    guard(Site.FINISH, () => closeRequest(s, this.deps.metrics));
    const done = () => guard(Site.FINISH, () => finishRequest(s, s.upstreamStatus ?? this.answered ?? 101, this.deps.finish));
    // As for HTTP (lifecycle.ts): the SERVER span waits, bounded, for what the frames said.
    const pending = this.observer?.settled?.();
    if (pending) void within(pending, SETTLE_MS).then(done);
    else done();
  };
}
