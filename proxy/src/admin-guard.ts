// Who may change the proxy through the admin port. A browser on the operator's machine can reach
// 127.0.0.1 too, and an HTML form can POST text/plain to it from any site without a CORS
// preflight, so "it listens on loopback" is no lock. Writes need: no cross-site context, the admin
// token (or a unix socket, where file permissions decide who connects), and a JSON body. Reads
// (/healthz, /metrics, the sampling state) stay open: a cross-site page cannot read the answers.
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from './sampling/force.js';

export interface AdminLock {
  /** TTS_PROXY_ADMIN_TOKEN; empty: no token accepted. */
  readonly token: string;
  /** The admin server listens on a unix socket. */
  readonly unixSocket: boolean;
}

export interface WriteRefusal {
  readonly status: 401 | 403 | 415;
  readonly error: string;
  readonly headers?: Readonly<Record<string, string>>;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A browser says where a request comes from; anything but the admin's own origin is refused. */
function crossSite(req: IncomingMessage): boolean {
  const site = one(req.headers['sec-fetch-site'])?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = one(req.headers.origin);
  if (origin === undefined) return false;
  const host = one(req.headers.host);
  return !host || origin.trim().toLowerCase() !== `http://${host.trim().toLowerCase()}`;
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(one(req.headers.authorization) ?? '');
  return m?.[1];
}

function isJson(req: IncomingMessage): boolean {
  const type = one(req.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** Why this write is refused, or undefined when it may go ahead. `hasBody`: the write carries JSON. */
export function refuseWrite(req: IncomingMessage, lock: AdminLock, hasBody: boolean): WriteRefusal | undefined {
  if (crossSite(req)) return { status: 403, error: 'cross-site admin requests are refused' };
  if (lock.token) {
    const given = bearer(req);
    if (given === undefined || !tokenMatches(given, lock.token)) {
      return { status: 401, error: 'admin writes need Authorization: Bearer <TTS_PROXY_ADMIN_TOKEN>', headers: { 'www-authenticate': 'Bearer realm="tts-trace-proxy admin"' } };
    }
  } else if (!lock.unixSocket) {
    return { status: 403, error: 'admin writes are disabled: set TTS_PROXY_ADMIN_TOKEN or serve the admin port on a unix socket (--admin unix:/path)' };
  }
  if (hasBody && !isJson(req)) return { status: 415, error: 'admin writes take Content-Type: application/json' };
  return undefined;
}
