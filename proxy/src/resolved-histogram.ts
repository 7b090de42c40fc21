// A histogram whose label sets are resolved once per combination (issue 10). Written by hand
// because prom-client's Histogram re-derives everything on each observation: it validates the
// labels, builds a hash string of them (twice with an exemplar), and converts the bucket bound to
// a property key to count it. On a Gradio join that was the largest cost and allocator of any
// library the proxy calls (about 3 µs and 1 KB per observation, three observations per join).
// Here an observation finds its series through one Map per label (series-index.ts) and counts
// in an array.
// What a scraper reads stays prom-client's: the metric is registered in its Registry, which
// formats it, and resolved-histogram.test.ts holds the text and JSON equal to prom-client's own
// Histogram for the same observations.
import type { MetricValueWithName } from 'prom-client';
import { SeriesIndex, type LabelValues } from './series-index.js';

export interface ResolvedHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds, ascending (the +Inf bucket is implied). */
  readonly buckets: readonly number[];
  /** prom-client Registries, of either content type: the registry, not the metric, decides the format. */
  readonly registers: readonly { registerMetric(metric: never): void }[];
}

export interface Observation<L extends string> {
  readonly labels: Partial<Record<L, string | number>>;
  readonly value: number;
  /** OpenMetrics exemplar labels (trace_id, span_id); empty: the bucket's exemplar stays as it was. */
  readonly exemplarLabels?: Readonly<Record<string, string>>;
}

/** The shape prom-client's Registry formats (`{labelSet, value, timestamp}`). */
interface Exemplar {
  labelSet: Readonly<Record<string, string>>;
  value: number;
  timestamp: number;
}

interface Series {
  /** The first observation's label object, copied: it fixes the label order, as in prom-client. */
  readonly labels: LabelValues;
  /** Per bucket, not cumulative; the last slot is above every bound. */
  readonly counts: Float64Array;
  readonly exemplars: (Exemplar | undefined)[];
  sum: number;
  count: number;
}

/** A value as the registry reads it (prom-client's MetricObjectWithValues, without its collect hook). */
interface Formatted {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: Value[];
  readonly aggregator: string;
}

type Value = MetricValueWithName<string> & { sharedLabels?: LabelValues; exemplar?: Exemplar };

export class ResolvedHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private readonly series: SeriesIndex<Series>;

  constructor(config: ResolvedHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
    this.bounds = [...config.buckets];
    this.series = new SeriesIndex(this.labelNames, (labels) => ({ labels: { ...labels }, counts: new Float64Array(this.bounds.length + 1), exemplars: [], sum: 0, count: 0 }));
    for (const r of config.registers) r.registerMetric(this as never);
  }

  observe(o: Observation<L>): void {
    const labels = o.labels as Record<string, string | number | undefined>;
    const value = o.value;
    // Refused as prom-client refuses them, before anything is counted.
    for (const name in labels) {
      if (!this.labelNames.includes(name as L)) throw new Error(`Added label "${name}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
    }
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const series = this.series.get(labels);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
    const ex = o.exemplarLabels;
    if (!ex) return;
    let size = 0;
    let any = false;
    for (const k in ex) {
      any = true;
      size += k.length + ex[k]!.length;
    }
    if (!any) return;
    if (size > 128) throw new RangeError('Label set size must be smaller than 128 UTF-8 chars');
    const slot = series.exemplars[i];
    if (slot) {
      slot.labelSet = ex;
      slot.value = value;
      slot.timestamp = Date.now() / 1000;
    } else {
      series.exemplars[i] = { labelSet: ex, value, timestamp: Date.now() / 1000 };
    }
  }

  reset(): void {
    this.series.clear();
  }

  /** What the registry formats as text: per series its cumulative buckets, +Inf, sum and count. */
  async getForPromString(): Promise<Formatted> {
    const bucket = `${this.name}_bucket`;
    const values: Value[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        // An exemplar never set reads as prom-client's: null in a bound's bucket, absent in +Inf's.
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: s.exemplars[i] ?? (null as never) });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: s.exemplars[this.bounds.length] },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (Registry.getMetricsAsJSON): each value's labels with its series' own. */
  async get(): Promise<Formatted> {
    const m = await this.getForPromString();
    return { ...m, values: m.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } as never })) };
  }
}
