// The app replicas as http-proxy's target objects, made once at start-up. Given a string,
// http-proxy parses it again for every request (url.parse, and a copy of its options); given an
// object, it reads the fields below as they are.
import type { Url } from 'node:url';

export type Target = Readonly<Pick<Url, 'protocol' | 'host' | 'hostname' | 'port' | 'path' | 'pathname'>>;

export function toTarget(u: URL): Target {
  // WHATWG keeps an IPv6 literal's brackets in hostname; Node's request options want it bare.
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return Object.freeze({ protocol: u.protocol, host: u.host, hostname, port: u.port, path: u.pathname + u.search, pathname: u.pathname });
}

/** One target object per replica URL (by href), so each request passes the same frozen object. */
export class Targets {
  private readonly byHref = new Map<string, Target>();

  constructor(replicas: readonly URL[]) {
    for (const r of replicas) if (!this.byHref.has(r.href)) this.byHref.set(r.href, toTarget(r));
  }

  of(u: URL): Target {
    let t = this.byHref.get(u.href);
    if (!t) this.byHref.set(u.href, (t = toTarget(u)));
    return t;
  }
}
