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

/**
 * Attributes of the SERVER span, read before any header is rewritten for the upstream. `client`
 * is the address trusted hops vouch for (client-address.ts), never X-Forwarded-For as sent.
 */
export function serverAttributes(req: IncomingMessage, route: string, safePath: string, client: string | undefined): Attributes {
  const method = normalizeMethod(req.method);
  const attrs: Attributes = {
    [A.ATTR_HTTP_REQUEST_METHOD]: method,
    [A.ATTR_URL_PATH]: safePath,
    [A.ATTR_URL_SCHEME]: firstValue(req.headers['x-forwarded-proto']) ?? 'http',
    [A.ATTR_HTTP_ROUTE]: route,
    [A.ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
  };
  if (method === '_OTHER' && req.method) attrs[A.ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method.slice(0, 32);
  const host = firstValue(req.headers['x-forwarded-host']) ?? req.headers.host;
  if (host) {
    const hp = splitHostPort(host);
    attrs[A.ATTR_SERVER_ADDRESS] = hp.host;
    if (hp.port !== undefined) attrs[A.ATTR_SERVER_PORT] = hp.port;
  }
  if (client) attrs[A.ATTR_CLIENT_ADDRESS] = client;
  if (req.socket.remoteAddress) attrs[A.ATTR_NETWORK_PEER_ADDRESS] = req.socket.remoteAddress;
  const ua = req.headers['user-agent'];
  if (ua) attrs[A.ATTR_USER_AGENT_ORIGINAL] = ua.slice(0, 512);
  const requestId = requestIdOf(req);
  if (requestId) attrs[A.ATTR_HTTP_REQUEST_ID] = requestId;
  return boundedAttributes(attrs);
}

/** The front's request id (nginx `$request_id`), only when it is a plain token. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = firstValue(req.headers['x-request-id']);
  return id && /^[A-Za-z0-9._-]{1,128}$/.test(id) ? id : undefined;
}

/** Attributes of the CLIENT span toward the app. */
export function clientAttributes(method: string, upstream: URL, safePath: string, route: string): Attributes {
  const app = appOf(upstream);
  return boundedAttributes({
    [A.ATTR_HTTP_REQUEST_METHOD]: method,
    [A.ATTR_SERVER_ADDRESS]: app.hostname,
    [A.ATTR_SERVER_PORT]: app.port,
    [A.ATTR_URL_FULL]: `${app.origin}${safePath}`,
    [A.ATTR_HTTP_ROUTE]: route,
  });
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
