import type { Attributes } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import * as A from './attributes.js';
import { boundedAttributes } from './bounded.js';
import { boundedMemo } from '../memo.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Semconv: unknown methods are reported as `_OTHER` so span names stay low-cardinality. */
export function normalizeMethod(method: string | undefined): string {
  const m = (method ?? 'GET').toUpperCase();
  return KNOWN_METHODS.has(m) ? m : '_OTHER';
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined) return undefined;
  const first = v.split(',')[0]!.trim();
  return first === '' ? undefined : first;
}

// A proxy sees few distinct Host values: each is split once (a client's junk costs a recomputation
// once the memory is full, never a wrong answer).
const splitHostPort = boundedMemo(256, (hostHeader: string): { readonly host: string; readonly port?: number } => {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
  if (!m) return { host: hostHeader };
  return m[2] ? { host: m[1]!, port: Number(m[2]) } : { host: m[1]! };
});

/** What a request's SERVER span says besides the request itself: its route, client and routing. */
export interface ServerSpanFacts extends ArmChoice {
  /** The method as normalizeMethod gives it (the request state's). */
  readonly method: string;
  readonly route: string;
  readonly safePath: string;
  /** The address trusted hops vouch for (client-address.ts), never X-Forwarded-For as sent. */
  readonly clientAddress?: string;
  readonly requestId?: string;
  readonly parentFormat?: string;
  readonly invalidPropagation: readonly string[];
}

/**
 * The SERVER span's attributes, built when the span needs them (OwnedSpanOptions.attributesLater:
 * an unsampled request's only if the tail keeps its trace). The request's own fields are read
 * now, as it arrived: by the time the builder runs, http-proxy's xfwd has appended to
 * X-Forwarded-Proto and -Host, and a repeated User-Agent may have become a list
 * (forwarding/repeated-fields.ts). The facts are the request state's, set once by the pipeline.
 */
export function serverAttributesLater(req: IncomingMessage, f: ServerSpanFacts): () => Attributes {
  // Each value is copied into the builder, never the request or its state: an unsampled span
  // waits in the tail (a join's until its prediction ends), and through the state it held the
  // whole request, sockets and buffers included, which then outlived young collections.
  const h = req.headers;
  const rawMethod = req.method;
  const version = req.httpVersion;
  const proto = h['x-forwarded-proto'];
  const forwardedHost = h['x-forwarded-host'];
  const host = h.host;
  const ua = h['user-agent'];
  const peer = req.socket.remoteAddress;
  const { method, route, safePath, clientAddress, requestId, parentFormat, invalidPropagation } = f;
  const arm = armOf(f);
  return () => {
    const attrs: Attributes = {
      [A.ATTR_HTTP_REQUEST_METHOD]: method,
      [A.ATTR_URL_PATH]: safePath,
      [A.ATTR_URL_SCHEME]: firstValue(proto) ?? 'http',
      [A.ATTR_HTTP_ROUTE]: route,
      [A.ATTR_NETWORK_PROTOCOL_VERSION]: version,
    };
    if (method === '_OTHER' && rawMethod) attrs[A.ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = rawMethod.slice(0, 32);
    const hostHeader = firstValue(forwardedHost) ?? host;
    if (hostHeader) {
      const hp = splitHostPort(hostHeader);
      attrs[A.ATTR_SERVER_ADDRESS] = hp.host;
      if (hp.port !== undefined) attrs[A.ATTR_SERVER_PORT] = hp.port;
    }
    if (clientAddress) attrs[A.ATTR_CLIENT_ADDRESS] = clientAddress;
    if (peer) attrs[A.ATTR_NETWORK_PEER_ADDRESS] = peer;
    if (ua) attrs[A.ATTR_USER_AGENT_ORIGINAL] = ua.slice(0, 512);
    if (requestId) attrs[A.ATTR_HTTP_REQUEST_ID] = requestId;
    addArmAttributes(boundedAttributes(attrs), arm);
    if (parentFormat) attrs[A.ATTR_PROXY_PARENT_FORMAT] = parentFormat;
    if (invalidPropagation.length) attrs[A.ATTR_PROXY_INVALID_PROPAGATION] = [...invalidPropagation];
    return attrs;
  };
}

/** The front's request id (nginx `$request_id`), only when it is a plain token. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = firstValue(req.headers['x-request-id']);
  return id && /^[A-Za-z0-9._-]{1,128}$/.test(id) ? id : undefined;
}

/** What a request's CLIENT span says: the request state's fields, set once by the pipeline. */
export interface ClientSpanFacts extends ArmChoice {
  readonly method: string;
  readonly route: string;
  readonly safePath: string;
  /** The replica the request goes to. */
  readonly upstream?: URL;
}

/** The CLIENT span's attributes toward the app, built when the span needs them (as the SERVER span's). */
export function clientAttributesLater(f: ClientSpanFacts, fallback: URL): () => Attributes {
  // Values copied, never the state (see serverAttributesLater).
  const { method, safePath, route } = f;
  const upstream = f.upstream ?? fallback;
  const arm = armOf(f);
  return () => {
    const app = appOf(upstream);
    return addArmAttributes(boundedAttributes({
      [A.ATTR_HTTP_REQUEST_METHOD]: method,
      [A.ATTR_SERVER_ADDRESS]: app.hostname,
      [A.ATTR_SERVER_PORT]: app.port,
      [A.ATTR_URL_FULL]: `${app.origin}${safePath}`,
      [A.ATTR_HTTP_ROUTE]: route,
    }), arm);
  };
}

// The app's replicas are a handful of URL objects made at start-up; their fields are read once
// each (a WHATWG URL getter builds its string anew on every read).
const apps = new WeakMap<URL, { readonly hostname: string; readonly port: number; readonly origin: string }>();
function appOf(u: URL): { readonly hostname: string; readonly port: number; readonly origin: string } {
  let app = apps.get(u);
  if (!app) apps.set(u, (app = { hostname: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), origin: u.origin }));
  return app;
}

// Span names by method and route: both come from fixed sets (normalizeMethod, the route
// templates), so each name is made once instead of per request. Bounded all the same.
const NAMES = new Map<string, Map<string, string>>();
const MAX_NAMES_PER_METHOD = 1024;

/** `{METHOD} {route}`, the name of a request's SERVER and CLIENT spans. */
export function spanName(method: string, route: string): string {
  let byRoute = NAMES.get(method);
  if (!byRoute) NAMES.set(method, (byRoute = new Map()));
  let name = byRoute.get(route);
  if (name === undefined) {
    name = `${method} ${route}`;
    if (byRoute.size < MAX_NAMES_PER_METHOD) byRoute.set(route, name);
  }
  return name;
}

/** The canary routing a request got (the request state carries it). */
export interface ArmChoice {
  readonly arm?: string;
  readonly armVersion?: string;
  readonly replica?: string;
  readonly routeReason?: string;
}

/**
 * A request's routing as a value of its own. The arms' names and versions are a few strings made
 * at start-up, and the replica names one per replica, so this holds no request data.
 */
function armOf(c: ArmChoice): ArmChoice {
  return c.arm ? { arm: c.arm, armVersion: c.armVersion, replica: c.replica, routeReason: c.routeReason } : NO_ARM;
}
const NO_ARM: ArmChoice = Object.freeze({});

/** What every span of a routed request says about its arm and replica, added to `attrs` in place (each span's attributes are built once, without spreads). */
export function addArmAttributes<T extends Attributes>(attrs: T, c: ArmChoice): T {
  if (!c.arm) return attrs;
  const out = attrs as Attributes;
  out[A.ATTR_TTS_UPSTREAM_ARM] = c.arm;
  out[A.ATTR_DEPLOYMENT_VERSION] = c.armVersion ?? 'unversioned';
  out[A.ATTR_TTS_UPSTREAM_REPLICA] = c.replica ?? '';
  if (c.routeReason) out[A.ATTR_TTS_UPSTREAM_ROUTE_REASON] = c.routeReason;
  return attrs;
}
