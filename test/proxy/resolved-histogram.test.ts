// The proxy's histograms resolve each label set once (resolved-histogram.ts, issue 10) instead of
// prom-client's per-observation hashing; the registry still formats them. What a scraper reads
// must be what prom-client's own Histogram gives for the same observations: the same text
// (OpenMetrics, with exemplars) and the same JSON, series and label order
// included. Exemplar timestamps are the clock's, so both sides' are blanked.
import test from 'ava';
import fc from 'fast-check';
import { Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { ResolvedHistogram } from '../../proxy/src/resolved-histogram.js';

const BUCKETS = [0.005, 0.01, 0.1, 1, 2.5, 10];
const NAMES = ['method', 'route', 'arm'] as const;
type L = (typeof NAMES)[number];

const blankTimes = (text: string) => text.replace(/(# \{[^}]*\} \S+) \S+/g, '$1 T');
const blankJson = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'timestamp' ? 'T' : x)));

// OpenMetrics registries, as the proxy's (prom-client allows exemplars on no other); the classic
// text admin.ts serves is converted from this one (exposition.ts).
function pair() {
  const a = new Registry<OpenMetricsContentType>();
  const b = new Registry<OpenMetricsContentType>();
  a.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  b.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const reference = new Histogram<L>({ name: 'h_seconds', help: 'A histogram.', labelNames: [...NAMES], buckets: BUCKETS, registers: [a], enableExemplars: true });
  const ours = new ResolvedHistogram<L>({ name: 'h_seconds', help: 'A histogram.', labelNames: NAMES, buckets: BUCKETS, registers: [b] });
  return { a, b, reference, ours };
}

const observation = fc.record({
  // A number and its text are one series, and an absent label is no value, as in prom-client.
  labels: fc.record({ method: fc.constantFrom('GET', 'POST'), route: fc.constantFrom('/a', '/b"\\\n', '', undefined), arm: fc.constantFrom('stable', 'canary', 200, '200') }),
  order: fc.boolean(),
  value: fc.oneof(fc.constantFrom(0, 0.005, 0.01, 1, 10, 11, 1e6, -1), fc.double({ min: -1, max: 50, noNaN: true })),
  exemplar: fc.option(fc.record({ trace_id: fc.stringMatching(/^[0-9a-f]{32}$/), span_id: fc.stringMatching(/^[0-9a-f]{16}$/) }), { nil: undefined }),
});

test('property: the same observations read the same as prom-client\'s histogram, text and JSON', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(observation, { maxLength: 30 }), async (obs) => {
    const { a, b, reference, ours } = pair();
    for (const o of obs) {
      // Label objects in either key order: the first observation of a series fixes its label order.
      const labels = o.order ? o.labels : { arm: o.labels.arm, route: o.labels.route, method: o.labels.method };
      const exemplarLabels = o.exemplar ?? {};
      reference.observe({ labels, value: o.value, exemplarLabels });
      ours.observe({ labels: { ...labels }, value: o.value, exemplarLabels });
    }
    t.is(blankTimes(await b.metrics()), blankTimes(await a.metrics()));
    t.deepEqual(blankJson(await b.getMetricsAsJSON()), blankJson(await a.getMetricsAsJSON()));
  }), { numRuns: 300 });
});

test('what prom-client refuses is refused the same way: a label it does not declare, a value that is no number', (t) => {
  const { reference, ours } = pair();
  for (const h of [reference, ours] as { observe(o: unknown): void }[]) {
    t.throws(() => h.observe({ labels: { method: 'GET', nope: 'x' }, value: 1 }), { message: /nope/ });
    t.throws(() => h.observe({ labels: { method: 'GET' }, value: Number.NaN }), { instanceOf: TypeError });
    t.throws(() => h.observe({ labels: { method: 'GET' }, value: Infinity }), { instanceOf: TypeError });
  }
});

test('reset empties every series', async (t) => {
  const { b, ours } = pair();
  ours.observe({ labels: { method: 'GET', route: '/a', arm: 's' }, value: 1, exemplarLabels: {} });
  ours.reset();
  t.notRegex(await b.metrics(), /h_seconds_count/);
});
