// A bounded, expiring table. Gradio predictions start on one HTTP request and finish on
// another (design §3), and uploads are referenced by later predictions, so the proxy keeps
// small records between requests. Every table has a size cap and a TTL; evictions are
// reported so they can be counted, and expired entries get a say before they go.

export interface TableOptions<V> {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Called for an entry removed by the cap or the TTL (not by `delete`). */
  readonly onEvict?: (key: string, value: V, reason: 'expired' | 'capacity') => void;
  readonly now?: () => number;
}

export class BoundedTable<V> {
  // A Map iterates in insertion order, so the oldest entry is always first.
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: TableOptions<V>) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      this.opts.onEvict?.(key, e.value, 'expired');
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.opts.ttlMs });
    this.sweep();
    while (this.entries.size > this.opts.maxEntries) {
      const [k, e] = this.entries.entries().next().value as [string, { value: V }];
      this.entries.delete(k);
      this.opts.onEvict?.(k, e.value, 'capacity');
    }
  }

  delete(key: string): V | undefined {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e?.value;
  }

  /** Live entries, oldest first. */
  *values(): IterableIterator<V> {
    const now = this.now();
    for (const e of this.entries.values()) if (e.expires > now) yield e.value;
  }

  /** Drops expired entries from the front (they are in insertion order, so this stops early). */
  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (e.expires > now) break;
      this.entries.delete(k);
      this.opts.onEvict?.(k, e.value, 'expired');
    }
  }
}
