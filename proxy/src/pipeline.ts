// The ordered stages a request passes before its bytes are handed to http-proxy. Each stage
// reads and writes the request's state only; I/O happens in server.ts (forward) and finish.ts.
import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { ProxyConfig } from './config/load.js';
import { pickRoute, type CanaryOptions } from './canary.js';
import type { ClientAddressOf } from './client-address.js';
import type { Metrics } from './metrics.js';
import { removePropagationHeaders, spanHeaders } from '../../common/propagation/inject.js';
import type { Extracted } from '../../common/propagation/extract.js';
import { newState, type RequestState } from './request-state.js';
import { clientAttributesLater, normalizeMethod, requestIdOf, serverAttributesLater, spanName } from './spans/http.js';
import { matchRoute } from './spans/route.js';
import { ROOT } from './spans/context.js';
import { toHrTime } from './spans/time.js';
import type { OwnedSpanOptions } from './spans/tracer.js';

export interface PipelineDeps {
  readonly config: ProxyConfig;
  readonly canary: CanaryOptions;
  readonly tracer: Tracer;
  readonly extract: (headers: IncomingMessage['headers'], client: string | undefined) => Extracted;
  readonly metrics: Metrics;
  readonly clientAddress: ClientAddressOf;
}

export interface StageInput {
  readonly req: IncomingMessage;
  readonly isUpgrade: boolean;
  readonly deps: PipelineDeps;
  state: RequestState;
}

export interface Stage {
  readonly name: string;
  run(input: StageInput): void;
}

/** The client address every later stage uses: X-Forwarded-For only through trusted hops. */
const identifyClient: Stage = {
  name: 'client',
  run(i) {
    i.state.clientAddress = i.deps.clientAddress(i.req);
  },
};

/** Extract inbound context; malformed headers are counted and otherwise ignored. */
const extractContext: Stage = {
  name: 'extract',
  run(i) {
    const got = i.deps.extract(i.req.headers, i.state.clientAddress);
    i.state.parentContext = got.context;
    i.state.parentFormat = got.format;
    i.state.invalidPropagation = got.invalid;
    for (const f of got.invalid) i.deps.metrics.invalidPropagation.inc({ format: f });
  },
};

/** The arm and replica for this client (design §6); the pin cookie only matters with a choice to pin. */
const routeUpstream: Stage = {
  name: 'route',
  run(i) {
    const s = i.state;
    const r = pickRoute(i.deps.canary, i.req.headers, s.clientAddress);
    s.arm = r.arm.name;
    s.armVersion = r.arm.version;
    s.replica = `${r.arm.name}-${r.replicaIndex}`;
    s.upstream = r.replica;
    s.routeReason = r.reason;
    if (r.setCookie && (i.deps.canary.arms.length > 1 || r.arm.replicas.length > 1)) s.setCookie = r.setCookie;
  },
};

/** SERVER span `{METHOD} {route}`, child of the inbound context when there is one. */
const openServerSpan: Stage = {
  name: 'server-span',
  run(i) {
    const s = i.state;
    s.requestId = requestIdOf(i.req);
    // One clock for every span of a request: the SDK's default start is Date.now() (whole ms),
    // while ends and Gradio child spans use performance time, so a child could start "before" it.
    const options: OwnedSpanOptions = { kind: SpanKind.SERVER, attributesLater: serverAttributesLater(i.req, s), startTime: toHrTime(s.startedAt) };
    const span = i.deps.tracer.startSpan(spanName(s.method, s.route), options, s.parentContext);
    s.serverSpan = span;
    s.serverContext = trace.setSpan(s.parentContext, span);
  },
};

/** CLIENT span for the upstream exchange; the app sees it as its parent. */
const openClientSpan: Stage = {
  name: 'client-span',
  run(i) {
    const s = i.state;
    const startTime = toHrTime(performance.timeOrigin + performance.now());
    const options: OwnedSpanOptions = { kind: SpanKind.CLIENT, attributesLater: clientAttributesLater(s, i.deps.config.upstream), startTime };
    s.clientSpan = i.deps.tracer.startSpan(spanName(s.method, s.route), options, s.serverContext);
  },
};

/** Replace the client's trace headers with ours (W3C and both B3 encodings); hop-by-hop fields go on the proxyReq hook. */
const prepareUpstreamHeaders: Stage = {
  name: 'inject',
  run(i) {
    const s = i.state;
    removePropagationHeaders(i.req.headers);
    s.upstreamHeaders = spanHeaders(s.clientSpan?.spanContext(), s.serverContext!);
  },
};

export const STAGES: readonly Stage[] = [identifyClient, extractContext, routeUpstream, openServerSpan, openClientSpan, prepareUpstreamHeaders];

/** Creates the request's state and runs every stage in order. */
export function runPipeline(req: IncomingMessage, isUpgrade: boolean, deps: PipelineDeps, onStageError: (stage: string, err: unknown) => void): RequestState {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const { route, safePath } = matchRoute(query < 0 ? url : url.slice(0, query));
  const state = newState(route, safePath, normalizeMethod(req.method), ROOT);
  const input: StageInput = { req, isUpgrade, deps, state };
  // Indexed: the allocation profile showed an array iterator made here on every request.
  for (let i = 0; i < STAGES.length; i++) {
    const stage = STAGES[i]!;
    try {
      stage.run(input);
    } catch (err) {
      onStageError(stage.name, err);
      break;
    }
  }
  return state;
}
