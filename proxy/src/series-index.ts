// Finds the series of a label set through one Map level per declared label, keyed by the
// label's value, so that a lookup builds nothing (issue 10: label sets resolved once per
// combination). A number and its text are one series, and an absent label is no value, as in
// prom-client's own hash of a label set.
export type LabelValues = Readonly<Record<string, string | number | undefined>>;

const ABSENT = Symbol('absent');

export class SeriesIndex<T> {
  private readonly root = new Map<string | symbol, unknown>();
  /** Every series in the order it was first seen (the order prom-client prints series in). */
  private readonly order: T[] = [];
  private unlabelled?: T;

  /** `make` builds a series the first time its label set is seen. */
  constructor(private readonly labelNames: readonly string[], private readonly make: (labels: LabelValues) => T) {}

  get(labels: LabelValues): T {
    const names = this.labelNames;
    if (!names.length) return (this.unlabelled ??= this.add(labels));
    let level = this.root;
    for (let n = 0; n < names.length; n++) {
      const v = labels[names[n]!];
      const k = v === undefined ? ABSENT : typeof v === 'string' ? v : String(v);
      let next = level.get(k);
      if (next === undefined) level.set(k, (next = n + 1 < names.length ? new Map() : this.add(labels)));
      level = next as Map<string | symbol, unknown>;
    }
    return level as unknown as T;
  }

  values(): readonly T[] {
    return this.order;
  }

  clear(): void {
    this.root.clear();
    this.order.length = 0;
    this.unlabelled = undefined;
  }

  private add(labels: LabelValues): T {
    const s = this.make(labels);
    this.order.push(s);
    return s;
  }
}
