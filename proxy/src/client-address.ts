// Who the client is (nginx's set_real_ip_from with real_ip_recursive on): X-Forwarded-For is
// believed only as far as it was written by trusted hops. Anyone can send the header, so without
// this an attacker picks its own address for spans, canary hashing and rate limits.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { boundedMemo } from './memo.js';

export class TrustedProxiesError extends Error {}

/** `addr` or `addr/prefix`, comma separated; throws on anything else. */
export function parseTrustedProxies(raw: string): string[] {
  const out: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, prefix, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= max))) {
      throw new TrustedProxiesError(`"${item}" is not an IP address or CIDR range`);
    }
    out.push(item);
  }
  return out;
}

// Node reports IPv4 peers of a dual-stack listener as ::ffff:a.b.c.d.
function normalize(addr: string): string {
  const a = addr.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1]! : a;
}

/** Distinct addresses whose trust is remembered. */
const KNOWN_MAX = 1024;

export type ClientAddressOf = (req: IncomingMessage) => string | undefined;

export function makeClientAddress(trusted: readonly string[]): ClientAddressOf {
  const list = new BlockList();
  for (const item of trusted) {
    const [addr, prefix] = item.split('/') as [string, string | undefined];
    const type = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(prefix), type);
  }
  // BlockList.check builds a SocketAddress per call (a tenth of a request's observation cost in
  // a profile), while a proxy sees few distinct peers and hops.
  const isTrusted = boundedMemo(KNOWN_MAX, (a) => {
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  });
  // The peers are few (nginx), and each one's text is normalized once.
  const peerOf = boundedMemo(KNOWN_MAX, normalize);
  return (req) => {
    const remote = req.socket.remoteAddress;
    const peer = remote === undefined ? undefined : peerOf(remote);
    if (peer === undefined || !isTrusted(peer)) return peer;
    const raw = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map(normalize).filter(Boolean);
    // Right to left: each trusted hop vouches for the address to its left, nobody for more.
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}
