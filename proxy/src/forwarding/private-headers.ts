// Headers addressed to the proxy itself: the debug token (a secret), the canary override and the
// proxy's pin cookie. They are consumed here, never forwarded; the app has no use for them and
// must not learn the token. Only the pin cookie leaves the Cookie header: the others stay
// byte-exact, separators included.
import type { IncomingHttpHeaders } from 'node:http';

export interface PrivateHeaderNames {
  /** Lower-case header names to remove. */
  readonly headers: readonly string[];
  /** The proxy's own cookie. */
  readonly cookie: string;
}

/** The Cookie header without `name=…` pairs; undefined when nothing else is left. */
export function withoutCookie(header: string, name: string): string | undefined {
  // Pairs are split on ';' (RFC 6265 §5.4); each kept pair keeps the separator before it.
  const parts = header.split(';');
  const kept: string[] = [];
  let removed = false;
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (key === name) { removed = true; continue; }
    kept.push(part);
  }
  if (!removed) return header;
  if (!kept.some((p) => p.trim() !== '')) return undefined;
  // The first kept pair loses the whitespace that followed a removed leading pair's ';'.
  kept[0] = kept[0]!.replace(/^\s+/, '');
  return kept.join(';');
}

/**
 * Removes them from the request's headers, which http-proxy copies when it builds the upstream
 * request. Not on http-proxy's `proxyReq` event: that fires when a socket is assigned, which for
 * a request with a body can be after the headers were flushed (removeHeader then throws), and
 * never for a request with `Expect`.
 */
export function stripPrivateHeaders(headers: IncomingHttpHeaders, names: PrivateHeaderNames): void {
  for (const h of names.headers) delete headers[h];
  const cookie = headers.cookie;
  if (cookie === undefined) return;
  const rest = withoutCookie(cookie, names.cookie);
  if (rest === undefined) delete headers.cookie;
  else headers.cookie = rest;
}
