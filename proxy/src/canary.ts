// Gray release (design §6): which arm (app version) and which replica serve a request. Pure and
// deterministic, so proxy replicas agree without shared state: an explicit header wins, then the
// proxy's cookie, then a weighted rendezvous hash of the client. Rendezvous hashing keeps a
// weight change from reshuffling clients beyond the share that must move.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Arm {
  readonly name: string;
  readonly version: string;
  readonly weight: number;
  readonly replicas: readonly URL[];
}

export interface CanaryOptions {
  readonly arms: readonly Arm[];
  /** Request header naming an arm, e.g. `X-Canary: canary` (lower case). */
  readonly header: string;
  readonly cookie: string;
  readonly cookieMaxAgeS: number;
}

export type RouteReason = 'header' | 'cookie' | 'hash';

export interface Route {
  readonly arm: Arm;
  readonly replicaIndex: number;
  readonly replica: URL;
  readonly reason: RouteReason;
  /** `Set-Cookie` value to pin the client, when it did not already carry a valid one. */
  readonly setCookie?: string;
}

export class ArmsError extends Error {
  readonly code = 'TTS_PROXY_ERR_ARMS';
}

const NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** `NAME=VERSION:WEIGHT:URL[,URL…]`, several separated by `;` (flags repeat, the env joins). */
export function parseArms(spec: string): Arm[] {
  const arms: Arm[] = [];
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=([^:]+):([0-9.]+):(.+)$/.exec(part);
    if (!m) throw new ArmsError(`arm "${part}": expected NAME=VERSION:WEIGHT:URL[,URL…]`);
    const [, name, version, weight, urls] = m as unknown as [string, string, string, string, string];
    if (!NAME.test(name)) throw new ArmsError(`arm "${name}": names are 1-32 letters, digits, - or _`);
    if (!NAME.test(version)) throw new ArmsError(`arm "${name}": version "${version}" must be 1-32 letters, digits, - or _`);
    const w = Number(weight);
    if (!Number.isFinite(w) || w < 0) throw new ArmsError(`arm "${name}": weight must be a number >= 0`);
    const replicas = urls.split(',').map((u) => {
      try {
        const url = new URL(u.trim());
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
        return url;
      } catch {
        throw new ArmsError(`arm "${name}": "${u}" is not an http(s) URL`);
      }
    });
    if (arms.some((a) => a.name === name)) throw new ArmsError(`arm "${name}" is defined twice`);
    arms.push({ name, version, weight: w, replicas });
  }
  if (arms.length && !arms.some((a) => a.weight > 0)) throw new ArmsError('at least one arm needs a weight above 0');
  return arms;
}

/** A uniform number in (0, 1) from the key; sha256 so that nobody can aim at an arm by choosing a key. */
function unit(key: string): number {
  const h = createHash('sha256').update(key).digest();
  return (h.readUInt32BE(0) * 2 ** 21 + (h.readUInt32BE(4) >>> 11) + 0.5) / 2 ** 53;
}

/** Weighted rendezvous: the arm with the highest -weight/ln(u) for this key. */
export function armFor(arms: readonly Arm[], key: string): Arm {
  let best = arms[0]!;
  let bestScore = -Infinity;
  for (const a of arms) {
    if (a.weight <= 0) continue;
    const score = -a.weight / Math.log(unit(`arm|${a.name}|${key}`));
    if (score > bestScore) { best = a; bestScore = score; }
  }
  return best;
}

export function replicaFor(arm: Arm, key: string): number {
  let best = 0;
  let bestScore = -Infinity;
  arm.replicas.forEach((r, i) => {
    const score = unit(`replica|${arm.name}|${r.href}|${key}`);
    if (score > bestScore) { best = i; bestScore = score; }
  });
  return best;
}

function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * `client` is the address trusted hops vouch for (client-address.ts), so that nobody picks an arm
 * by sending a made-up X-Forwarded-For.
 */
export function pickRoute(o: CanaryOptions, headers: IncomingHttpHeaders, client: string | undefined): Route {
  // One arm with one replica (the plain --upstream case): nothing to choose, nothing to hash.
  const only = o.arms.length === 1 && o.arms[0]!.replicas.length === 1 ? o.arms[0]! : undefined;
  if (only && !headers.cookie && headers[o.header] === undefined) return { arm: only, replicaIndex: 0, replica: only.replicas[0]!, reason: 'hash' };
  // A weight-0 arm is switched off: no header or old cookie may reach it.
  const byName = (n: string | undefined) => o.arms.find((a) => a.name === n && a.weight > 0);
  const cookie = readCookie(headers, o.cookie);
  const pinned = cookie ? /^([A-Za-z0-9_-]{1,32})\.(\d{1,3})$/.exec(cookie) : null;
  const pinnedArm = pinned ? byName(pinned[1]) : undefined;
  const pinnedIndex = pinned ? Number(pinned[2]) : -1;
  const cookieValid = !!pinnedArm && pinnedIndex < pinnedArm.replicas.length;
  const key = client || 'unknown';
  const cookieFor = (arm: Arm, i: number) =>
    `${o.cookie}=${arm.name}.${i}; Path=/; Max-Age=${o.cookieMaxAgeS}; HttpOnly; SameSite=Lax`;

  const forced = byName(String(headers[o.header] ?? '').trim() || undefined);
  if (forced) {
    // An override keeps the replica the cookie chose when it names the same arm.
    const i = cookieValid && pinnedArm === forced ? pinnedIndex : replicaFor(forced, key);
    return { arm: forced, replicaIndex: i, replica: forced.replicas[i]!, reason: 'header' };
  }
  if (cookieValid) return { arm: pinnedArm!, replicaIndex: pinnedIndex, replica: pinnedArm!.replicas[pinnedIndex]!, reason: 'cookie' };
  const arm = armFor(o.arms, key);
  const i = replicaFor(arm, key);
  return { arm, replicaIndex: i, replica: arm.replicas[i]!, reason: 'hash', setCookie: cookieFor(arm, i) };
}
