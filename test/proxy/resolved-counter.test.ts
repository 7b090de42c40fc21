// A counter moved on every trace resolves its label sets once (metrics.ts resolvedCounter,
// issue 10) and hands prom-client its totals when scraped: the text must be what prom-client's
// own Counter gives for the same increments, series and label order included.
import test from 'ava';
import fc from 'fast-check';
import { Counter, Registry, type OpenMetricsContentType } from 'prom-client';
import { resolvedCounter } from '../../proxy/src/metrics.js';

test('property: the same increments read the same as prom-client\'s counter', async (t) => {
  const inc = fc.record({ decision: fc.constantFrom('kept', 'dropped'), reason: fc.constantFrom('head', 'error', 'unsampled', 'a"b\\c') });
  await fc.assert(fc.asyncProperty(fc.array(inc, { maxLength: 20 }), async (incs) => {
    const a = new Registry<OpenMetricsContentType>();
    const b = new Registry<OpenMetricsContentType>();
    a.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    b.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const config = { name: 'traces_total', help: 'Traces.', labelNames: ['decision', 'reason'] as const };
    const reference = new Counter({ ...config, labelNames: [...config.labelNames], registers: [a] });
    const ours = resolvedCounter({ ...config, registers: [b] });
    for (const i of incs) {
      reference.inc({ ...i });
      ours.inc({ ...i });
    }
    t.is(await b.metrics(), await a.metrics());
    t.is(await b.metrics(), await a.metrics(), 'and again: a scrape does not count twice');
  }), { numRuns: 200 });
});
