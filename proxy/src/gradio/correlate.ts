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
  /**
   * A group each value belongs to (a prediction's session), for `inGroup`: finding a group's
   * values then costs that group's size, not the table's.
   */
  readonly groupOf?: (value: V) => string | undefined;
  /** Entries one group may hold; past it, the group's own oldest is evicted ('capacity'). */
  readonly maxPerGroup?: number;
}

export class BoundedTable<V> {
  // A Map iterates in insertion order, so the oldest entry is always first.
  private readonly entries = new Map<string, { value: V; expires: number }>();
  /** group → keys of its entries (only with `groupOf`). */
  private readonly groups = new Map<string, Set<string>>();
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
      this.remove(key, e.value);
      this.opts.onEvict?.(key, e.value, 'expired');
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V): void {
    const old = this.entries.get(key);
    if (old) this.remove(key, old.value);
    this.entries.set(key, { value, expires: this.now() + this.opts.ttlMs });
    const group = this.opts.groupOf?.(value);
    if (group !== undefined) {
      let keys = this.groups.get(group);
      if (!keys) this.groups.set(group, (keys = new Set()));
      keys.add(key);
      const max = this.opts.maxPerGroup ?? Infinity;
      while (keys.size > max) {
        const oldest = keys.values().next().value as string;
        const e = this.entries.get(oldest)!;
        this.remove(oldest, e.value);
        this.opts.onEvict?.(oldest, e.value, 'capacity');
      }
    }
    this.sweep();
    while (this.entries.size > this.opts.maxEntries) {
      const [k, e] = this.entries.entries().next().value as [string, { value: V }];
      this.remove(k, e.value);
      this.opts.onEvict?.(k, e.value, 'capacity');
    }
  }

  delete(key: string): V | undefined {
    const e = this.entries.get(key);
    if (e) this.remove(key, e.value);
    return e?.value;
  }

  /** Live values of `group`, oldest first. */
  *inGroup(group: string): IterableIterator<V> {
    const keys = this.groups.get(group);
    if (!keys) return;
    const now = this.now();
    for (const k of [...keys]) {
      const e = this.entries.get(k);
      if (e && e.expires > now) yield e.value;
    }
  }

  private remove(key: string, value: V): void {
    this.entries.delete(key);
    const group = this.opts.groupOf?.(value);
    if (group === undefined) return;
    const keys = this.groups.get(group);
    keys?.delete(key);
    if (keys && !keys.size) this.groups.delete(group);
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
      this.remove(k, e.value);
      this.opts.onEvict?.(k, e.value, 'expired');
    }
  }
}
