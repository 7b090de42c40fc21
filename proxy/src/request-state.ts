import type { Context, Span } from '@opentelemetry/api';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Findings, type Observer } from './observer.js';

/** Everything the proxy knows about one request while it is in flight. */
export interface RequestState {
  readonly startNs: bigint;
  /** Epoch ms (fractional) at arrival, for spans that start here but are created later. */
  readonly startedAt: number;
  readonly method: string;
  readonly route: string;
  readonly safePath: string;
  parentContext: Context;
  parentFormat?: string;
  /** Canary routing (design §6): the arm, its version and the replica serving this request. */
  arm?: string;
  armVersion?: string;
  replica?: string;
  /** Where this request goes: the chosen replica's base URL. */
  upstream?: URL;
  /** A cookie to pin the client to its arm and replica, added to the response. */
  setCookie?: string;
  routeReason?: 'header' | 'cookie' | 'hash';
  /** The client as far as trusted hops vouch for it (client-address.ts). */
  clientAddress?: string;
  /** nginx's X-Request-Id, when it looks like one. */
  requestId?: string;
  invalidPropagation: readonly string[];
  serverSpan?: Span;
  serverContext?: Context;
  clientSpan?: Span;
  upstreamHeaders?: Record<string, string>;
  proxyReq?: ClientRequest;
  proxyRes?: IncomingMessage;
  upstreamStatus?: number;
  requestBytes: number;
  responseBytes: number;
  firstByteNs?: bigint;
  errorType?: string;
  timedOut: boolean;
  clientAborted: boolean;
  /** The exchange is over (in-flight gauges released); the spans may still wait for observers. */
  closed: boolean;
  finished: boolean;
  /** The Gradio parser watching this exchange, if its route has one. */
  observer?: Observer;
  /** What the observers found, for the SERVER span (applied when the request ends). */
  readonly found: Findings;
}

/** A request's state as the stages start it; its lifecycle (lifecycle.ts) holds it from there. */
export function newState(route: string, safePath: string, method: string, parent: Context): RequestState {
  return {
    startNs: process.hrtime.bigint(), startedAt: performance.timeOrigin + performance.now(), method, route, safePath, parentContext: parent, invalidPropagation: [],
    requestBytes: 0, responseBytes: 0, timedOut: false, clientAborted: false, closed: false, finished: false, found: new Findings(),
  };
}

export function elapsedMs(from: bigint, to: bigint = process.hrtime.bigint()): number {
  return Number(to - from) / 1e6;
}
