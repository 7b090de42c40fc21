// Composition root: builds every part from the frozen config and wires them to http-proxy.
import httpProxy from 'http-proxy';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { buildAdminServer, type AdminState } from './admin.js';
import type { ProxyConfig } from './config/load.js';
import { classify } from './errors.js';
import { buildTracing, type Tracing } from './export/exporters.js';
import { BatchedLines } from './access-log.js';
import type { FinishDeps } from './finish.js';
import type { CanaryOptions } from './canary.js';
import { buildGradioContext, type GradioContext } from './gradio/context.js';
import { observe, observeWebsocket } from './gradio/observe.js';
import { gate, isGated } from './gradio/gate.js';
import { isWebsocketUpgrade, UPSTREAM_CONNECTION, upstreamHeaders } from './forwarding/hop-by-hop.js';
import { applyResponsePolicy } from './forwarding/response-policy.js';
import { answerRejected, answerUpstreamError, answerUpstreamErrorOnSocket } from './forwarding/error-answer.js';
import type { UpstreamRequest } from './forwarding/node-internals.js';
import { discardRest } from './forwarding/discard-body.js';
import { onClientError, Pending } from './forwarding/malformed.js';
import { onCheckContinue } from './forwarding/continue.js';
import { makeInTurn } from './forwarding/in-turn.js';
import { ConnectionEnd, connectionFieldFor, dropAfterLast, dropTakenOverAfterLast, honourClose } from './forwarding/connection-end.js';
import { lingerOnLastAnswer } from './forwarding/linger.js';
import { OutgoingAgent } from './forwarding/outgoing-agent.js';
import { onUpstreamRequest, stripRequestHeaders } from './forwarding/request-policy.js';
import { StaleConnectionRetry } from './forwarding/stale-connection.js';
import { Targets } from './forwarding/targets.js';
import { makeRefuser } from './forwarding/refuse.js';
import { connectRefusal, refusalFor } from './forwarding/request-checks.js';
import { asPlainExchange, isRefusal } from './forwarding/upgrade-fallback.js';
import { makeLogger, openSink, type Logger } from '../../common/logger.js';
import { buildMetrics, type Metrics } from './metrics.js';
import { runPipeline, type PipelineDeps } from './pipeline.js';
import { makeExtractor } from '../../common/propagation/extract.js';
import type { RequestState } from './request-state.js';
import { BodyScavenger } from './body-scavenger.js';
import { RequestLifecycle, type LifecycleDeps } from './lifecycle.js';
import { WebsocketLifecycle } from './websocket-lifecycle.js';
import { onWebsocketUpstreamRequest } from './forwarding/websocket-policy.js';
import { guard, guardedInterval, installGuard, Site } from './guard.js';
import { guardObserver } from './observer.js';
import { failureReporter } from './guard-report.js';
import { EndReason } from './spans/attributes.js';
import { ROOT } from './spans/context.js';
import { DEBUG_TRACING_HEADER, forcingExtractor, makeForceDecider } from './sampling/force.js';
import { sampledFlagFor } from './sampling/reveal.js';
import { makeClientAddress } from './client-address.js';
import { BADGE_SCRIPT_PATH, badgeScript, injectBadge, isBadgePage } from './ui/badge.js';

export interface ProxyApp {
  readonly server: Server;
  readonly admin: Server;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly logger: Logger;
  readonly gradio?: GradioContext;
  /** Stop accepting, let in-flight requests finish up to `deadlineMs`, cut the rest, flush spans. */
  shutdown(deadlineMs: number): Promise<void>;
}

export function buildProxy(config: ProxyConfig): ProxyApp {
  const logger = makeLogger(config.logLevel, process.stderr, config.logFormat);
  const metrics = buildMetrics();
  installGuard({ onFailure: failureReporter(logger, (site) => metrics.observationFailures.inc({ site })), faultInject: config.faultInject });
  const tracing = buildTracing(config, { metrics, logger });
  const tracer = tracing.tracer;
  // Forced sampling (B3 debug, X-Debug-Tracing) rides in the extracted context to the head sampler.
  const extract = forcingExtractor(makeExtractor(config.propagators, ROOT), makeForceDecider({
    token: config.debugToken, b3Debug: config.forceB3Debug, maxPerSecond: config.forceMaxPerSecond,
    guessesPerMinute: config.debugTokenGuessesPerMin,
    b3Single: config.propagators.includes('b3'), b3Multi: config.propagators.includes('b3multi'),
  }), {
    refused: (reason) => metrics.forceRefused.inc({ reason }),
    oversize: (header) => metrics.oversizePropagation.inc({ header }),
  });
  const canary: CanaryOptions = { arms: config.arms, header: config.canaryHeader, cookie: config.canaryCookie, cookieMaxAgeS: config.canaryCookieMaxAgeS };
  const deps: PipelineDeps = { config, canary, tracer, extract, metrics, clientAddress: makeClientAddress(config.trustedProxies) };
  const reveal = sampledFlagFor(tracing.sampler);
  const accessSink = openSink(config.accessLog);
  const accessLog = accessSink ? new BatchedLines(accessSink) : undefined;
  const finishDeps: FinishDeps = { metrics, accessLog, accessLogFormat: config.logFormat, willKeep: tracing.willKeep };
  const bodies = new BodyScavenger();
  const lifecycleDeps: LifecycleDeps = { metrics, finish: finishDeps, reveal, bodies };
  const adminState: AdminState = { draining: false };
  // The proxy's own requests to the app (schema, output probes) keep connections of their own,
  // on the forwarding pool's idle clock: an app's odd answer to one of them stays on a connection
  // that never carries a client's request.
  const ownAgent = config.gradio ? new OutgoingAgent({ keepAlive: true, maxSockets: Infinity, idleMs: config.upstreamKeepaliveTimeoutMs }) : undefined;
  const gradio = config.gradio ? buildGradioContext(tracer, {
    sessionKey: config.sessionKey, probeOutputs: config.probeOutputs, appAgent: ownAgent,
    predictionTtlMs: config.predictionTtlMs, maxPredictions: config.maxPredictions, maxPredictionsPerSession: config.maxPredictionsPerSession, maxFiles: config.maxFiles,
    fileTtlMs: 30 * 60_000, maxAudioS: config.ruleMaxAudioS, maxTextChars: config.ruleMaxTextChars,
  }, {
    parseError: (kind) => metrics.gradioParseErrors.inc({ kind }),
    evicted: (table, reason) => metrics.tableEvictions.inc({ table, reason }),
    unmatched: () => metrics.predictionsUnmatched.inc(),
  }) : undefined;
  if (gradio) metrics.watchTables(() => ({ predictions: gradio.predictions.size, files: gradio.files.size, early_messages: gradio.early.size }));
  // Expired predictions end as spans of their own; without traffic nobody would look at the table.
  const sweeper = gradio ? guardedInterval(Site.SWEEP, () => { gradio.predictions.sweep(); gradio.files.sweep(); gradio.early.sweep(); }, 10_000) : undefined;

  const badge = config.uiTraceBadge ? badgeScript(config.traceUrlTemplate) : undefined;
  // Keep-alive to the app; without an agent http-proxy forces `Connection: close` per request.
  // Both idle clocks are the agent's sweep, not http-proxy's `proxyTimeout` (a socket timer armed
  // per request: forwarding/idle-sweep.ts).
  const agent = new OutgoingAgent({ keepAlive: true, maxSockets: Infinity, idleMs: config.upstreamKeepaliveTimeoutMs, busyIdleMs: config.upstreamIdleTimeoutMs });
  const targets = new Targets(config.arms.flatMap((a) => a.replicas));
  const fallback = targets.of(config.arms[0]!.replicas[0]!);
  const proxy = httpProxy.createProxyServer({
    // Each request names its replica (canary routing); this is only the fallback.
    target: fallback,
    xfwd: true,
    ws: true,
    agent,
    preserveHeaderKeyCase: true,
  });

  type WebOptions = Parameters<typeof proxy.web>[2];
  const targetIsRoot = (options: WebOptions): boolean => ((options?.target ?? fallback) as { pathname?: string }).pathname === '/';
  // A websocket handshake always goes out on a connection of its own: it takes the connection
  // for good if it succeeds, and a pooled one the app is closing would cost the client its
  // handshake (stale-connection.ts), which cannot be sent again once http-proxy gave up the socket.
  const wsAgent = new OutgoingAgent({ keepAlive: false });
  // Each forwarded request's own hooks ride on the upstream request the moment it exists
  // (OutgoingAgent.creating), ahead of http-proxy's listeners: the forwarding policy first, then
  // the request's lifecycle when it is observed. Failures come back through http-proxy's callback.
  // `options.headers` already carries the upstream hop's Connection field (upstreamHeaders()):
  // the options object is built once per request, never copied again on the way to http-proxy.
  const forward = (req: IncomingMessage, res: ServerResponse, options: WebOptions, life?: RequestLifecycle, tries = new StaleConnectionRetry()): void => {
    agent.creating((proxyReq) => {
      tries.sent(proxyReq);
      onUpstreamRequest(req, proxyReq, false, targetIsRoot(options));
      proxyReq.on('response', (proxyRes: IncomingMessage) => {
        applyResponsePolicy(proxyRes, req, res, life && (() => life.upstreamCut()));
        if (badge && life && isBadgePage(req, life.state.route, proxyRes)) injectBadge(proxyRes, res);
        life?.upstreamResponse(proxyRes);
      });
      life?.upstreamRequest(proxyReq);
    }, () => proxy.web(req, res, options, (err) => upstreamFailed(err, req, res, options, life, tries)));
  };
  // A handshake the app failed before answering a byte gets the proxy's 502/504, as nginx answers
  // it; once any of an answer (a 101, a refusal) went to the client, only a close is left.
  const forwardWs = (req: IncomingMessage, socket: Duplex, head: Buffer, options: WebOptions = {}, life?: WebsocketLifecycle): void => {
    let upstream: UpstreamRequest | undefined;
    wsAgent.creating((proxyReq) => {
      upstream = proxyReq as UpstreamRequest;
      onUpstreamRequest(req, proxyReq, true, targetIsRoot(options));
      onWebsocketUpstreamRequest(proxyReq, socket);
      life?.upstreamRequest(proxyReq);
    }, () => proxy.ws(req, socket, head, { ...options, agent: wsAgent }, (err) => {
      const c = life ? life.upstreamFailed(err) : classify(err, false);
      if (upstream?.res) socket.destroy();
      else answerUpstreamErrorOnSocket(socket, c, life?.traceFields());
    }));
  };

  // The proxy's own answer to a failed upstream exchange. Forwarding policy: an unobserved
  // request gets the same answer, only without trace fields.
  function upstreamFailed(err: Error, req: IncomingMessage, res: ServerResponse, options: WebOptions, life: RequestLifecycle | undefined, tries: StaleConnectionRetry): void {
    if (life?.state.clientAborted) return;
    // A buffered body (the gate's) was consumed by the first try.
    if (!res.headersSent && !options?.buffer && tries.retry(req, err)) {
      metrics.upstreamRetries.inc();
      // The first try already appended this hop to the X-Forwarded-* fields.
      return void forward(req, res, { ...options, xfwd: false }, life, tries);
    }
    const c = life ? life.upstreamFailed(err) : classify(err, false);
    answerUpstreamError(res, c, life?.traceFields());
    discardRest(req);
  }

  // http-proxy's `deleteLength` pass gives a DELETE or OPTIONS without Content-Length a
  // `content-length: 0` and drops its Transfer-Encoding: a chunked body then follows a head that
  // says "no body", and the app parses it as the next request (a desync). Node frames a bodiless
  // DELETE/OPTIONS correctly by itself, so the pass goes.
  const passes = proxy as unknown as { webPasses: { name: string }[] };
  passes.webPasses = passes.webPasses.filter((pass) => pass.name !== 'deleteLength');

  // Every failure comes back through the per-request callbacks above; http-proxy still emits
  // 'error' where it has none, and with no listener it would throw and end the process.
  proxy.on('error', (err, req, resOrSocket) => {
    if ('writeHead' in resOrSocket && !(resOrSocket as ServerResponse).headersSent) {
      answerUpstreamError(resOrSocket as ServerResponse, classify(err, false));
      discardRest(req);
    } else resOrSocket.destroy();
  });

  const onStageError = (stage: string) => metrics.observationFailures.inc({ site: `stage:${stage}` });
  // Hop-by-hop fields and headers addressed to the proxy are read by the stages and never
  // forwarded, even when a stage failed.
  const privateNames = { headers: [DEBUG_TRACING_HEADER, config.canaryHeader], cookie: config.canaryCookie };
  const runStages = (req: IncomingMessage, isWebsocket: boolean): RequestState | undefined => {
    try {
      // A failure of the pipeline as a whole leaves the request unobserved, never unforwarded.
      return guard(Site.PIPELINE, () => runPipeline(req, isWebsocket, deps, onStageError));
    } finally {
      stripRequestHeaders(req, isWebsocket, privateNames);
    }
  };

  const refuser = makeRefuser(metrics.registry);
  const connectionEnd = new ConnectionEnd();
  // The forwarding path is not observation, so a throw there is a bug in the proxy; it must still
  // cost one connection, never the process and everyone else's requests.
  const protect = (socket: Duplex, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      metrics.forwardingFailures.inc();
      logger.log('error', 'forwarding failed; connection closed', { error: (err as NodeJS.ErrnoException).code ?? (err as Error).name });
      socket.destroy();
    }
  };
  const onResponseError = function (this: ServerResponse): void {
    metrics.responseErrors.inc();
    this.destroy();
  };

  function handleRequest(req: IncomingMessage, res: ServerResponse, body?: Readable): void {
    // A write after the response ended (an app that sends more than its Content-Length, a pipe
    // still running after an error answer) surfaces as an 'error' on the response; with no
    // listener, http-proxy's pipe would rethrow it and end the process.
    res.on('error', onResponseError);
    honourClose(req, res);
    if (connectionEnd.isAfterLast(req, res)) return dropAfterLast(req);
    const refusal = refusalFor(req);
    if (refusal) {
      connectionEnd.last(req.socket);
      return refuser.respond(res, refusal);
    }
    // The badge's script is the proxy's own, never the app's (--ui-trace-badge).
    if (badge && req.method === 'GET' && (req.url ?? '').split('?')[0] === BADGE_SCRIPT_PATH) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(badge), connection: connectionFieldFor(res) });
      return void res.end(badge);
    }
    // A body read off an upgraded socket replaces `req` as what http-proxy streams upstream.
    const s = runStages(req, false);
    if (!s) return forward(req, res, { buffer: body, headers: UPSTREAM_CONNECTION });
    const obs = gradio ? guard(Site.OBSERVE, () => { const o = observe(gradio, s, req, s.startedAt); return o && guardObserver(o); }) : undefined;
    const life = new RequestLifecycle(req, res, s, obs, lifecycleDeps);
    const target = s.upstream ? targets.of(s.upstream) : fallback;
    const headers = upstreamHeaders(s.upstreamHeaders);
    if (gradio && config.gate && isGated(s.route, s.method)) {
      gate(gradio, gradio.app(s.upstream!), req, config.gateMaxBodyBytes).then((g) => {
        if (!g.violations.length) return void forward(req, res, { target, headers, buffer: g.body }, life);
        s.errorType = g.violations[0]!.rule;
        answerRejected(res, g.violations, s.errorType, life.traceFields());
      }, () => forward(req, res, { target, headers, buffer: body }, life));
      return;
    }
    forward(req, res, { target, headers, buffer: body }, life);
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!isWebsocketUpgrade(req.headers)) {
      const plain = asPlainExchange(req, socket, head);
      if (isRefusal(plain)) return refuser.onSocket(socket, plain);
      return handleRequest(req, plain.res, plain.body);
    }
    const refusal = refusalFor(req);
    if (refusal) return refuser.onSocket(socket, refusal);
    const s = runStages(req, true);
    if (!s) return forwardWs(req, socket, head);
    // Gradio 3.x's queue runs over this websocket: its frames are read as they pass.
    const obs = gradio ? guard(Site.OBSERVE, () => { const o = observeWebsocket(gradio, s, req, s.startedAt); return o && guardObserver(o); }) : undefined;
    const life = new WebsocketLifecycle(socket, s, obs, { metrics, finish: finishDeps, reveal });
    forwardWs(req, socket, head, { target: s.upstream ? targets.of(s.upstream) : fallback, headers: s.upstreamHeaders ?? {} }, life);
  }

  const pending = new Pending();
  // Upgrades and CONNECTs pipelined behind answers still being written wait their turn.
  const inTurn = makeInTurn(pending, protect);
  // What Node hands over behind a connection's last answer is not served (connection-end.ts).
  const unlessEnded = (socket: Duplex, fn: () => void) => (): void => (connectionEnd.ended(socket) ? dropTakenOverAfterLast(socket) : fn());
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    pending.track(req.socket, res);
    protect(req.socket, () => handleRequest(req, res));
  };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, onRequest);
  server.on('checkContinue', onCheckContinue(onRequest));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => inTurn(socket, unlessEnded(socket, () => handleUpgrade(req, socket, head))));
  // Without a listener Node drops a CONNECT silently; a reverse proxy answers it, as nginx does.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => inTurn(socket, unlessEnded(socket, () => refuser.onSocket(socket, connectRefusal))));
  // A connection's last answer, whoever wrote it, is followed by a lingering close, not a reset.
  server.on('connection', lingerOnLastAnswer);
  // Malformed HTTP from a client: a 400 once the requests before it are answered, never a crash.
  server.on('clientError', onClientError(pending));

  const admin = buildAdminServer({
    metrics, state: adminState, ratio: tracing.ratio, sampler: config.tracesSampler,
    lock: { token: config.adminToken, unixSocket: 'socket' in config.admin },
  });

  async function shutdown(deadlineMs: number): Promise<void> {
    const started = Date.now();
    if (sweeper) clearInterval(sweeper);
    bodies.stop();
    adminState.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), deadlineMs).unref());
    if ((await Promise.race([closed, timer])) === 'timeout') {
      logger.log('warn', 'shutdown deadline reached; closing remaining connections');
      server.closeAllConnections();
      await closed;
    }
    // The last requests' spans end after their 'close' events and parsers; give those a moment.
    await new Promise((r) => setTimeout(r, 100));
    // Predictions still waiting for their result are recorded as far as they got.
    if (gradio) {
      await Promise.race([
        Promise.all([...gradio.predictions.values()].map((h) => h.ready.then((p) => p?.finish(EndReason.SHUTDOWN)))),
        new Promise((r) => setTimeout(r, 1000).unref()),
      ]);
    }
    accessLog?.flush();
    await tracing.flush(Math.max(1000, deadlineMs - (Date.now() - started)));
    await new Promise<void>((resolve) => admin.close(() => resolve()));
  }

  return { server, admin, metrics, tracing, logger, gradio, shutdown };
}
