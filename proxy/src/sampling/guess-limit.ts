// Throttles wrong X-Debug-Tracing tokens per client address: a token bucket per client holding a
// minute's worth of failures, refilled continuously. The table is bounded; when full, the client
// seen least recently is forgotten, so a flood of addresses costs memory only up to the cap.
import { isIP } from 'node:net';

export const MAX_CLIENTS = 10_000;

/**
 * The budget's key: an IPv4 address, or an IPv6 address's /64 (one subscriber usually holds a
 * whole /64, so per-address budgets would be no limit at all). Anything else is used as is.
 */
export function budgetKey(client: string): string {
  const a = client.split('%')[0]!.toLowerCase();
  if (isIP(a) !== 6) return client;
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const groups = (s: string) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${all.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

interface Entry { tokens: number; last: number }

export class GuessLimiter {
  private readonly clients = new Map<string, Entry>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now, private readonly maxClients = MAX_CLIENTS) {}

  private refill(client: string): Entry | undefined {
    const e = this.clients.get(client);
    if (!e) return undefined;
    const t = this.now();
    e.tokens = Math.min(this.perMinute, e.tokens + ((t - e.last) / 60_000) * this.perMinute);
    e.last = t;
    // Re-inserting keeps the Map in least-recently-seen order for eviction.
    this.clients.delete(client);
    if (e.tokens >= this.perMinute) return undefined;
    this.clients.set(client, e);
    return e;
  }

  /** True when this client has no wrong guesses left. */
  exhausted(client: string): boolean {
    const e = this.refill(client);
    return !!e && e.tokens < 1;
  }

  /** Records one wrong guess. */
  failed(client: string): void {
    const e = this.refill(client) ?? { tokens: this.perMinute, last: this.now() };
    e.tokens = Math.max(0, e.tokens - 1);
    this.clients.delete(client);
    this.clients.set(client, e);
    while (this.clients.size > this.maxClients) this.clients.delete(this.clients.keys().next().value!);
  }

  get size(): number {
    return this.clients.size;
  }
}
