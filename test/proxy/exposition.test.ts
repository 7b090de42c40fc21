import test from 'ava';
import { Counter, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { toPrometheusText, wantsOpenMetrics } from '../../proxy/src/exposition.js';

test('OpenMetrics only when asked for with q > 0', (t) => {
  // What Prometheus 2.x sends.
  t.true(wantsOpenMetrics('application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'));
  t.false(wantsOpenMetrics('text/plain;version=0.0.4'));
  t.false(wantsOpenMetrics('*/*'));
  t.false(wantsOpenMetrics(undefined));
  t.false(wantsOpenMetrics('application/openmetrics-text;q=0'));
});

test('the classic text format has no exemplars and names counters with _total', async (t) => {
  const r = new Registry<OpenMetricsContentType>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const c = new Counter({ name: 'x_requests_total', help: 'Requests.', labelNames: ['route'], registers: [r] });
  const h = new Histogram({ name: 'x_seconds', help: 'Time.', labelNames: ['route'], buckets: [1], registers: [r], enableExemplars: true });
  c.inc({ route: '/call/{api_name} # {x}' });
  const exemplarLabels: Record<string, string> = { trace_id: 'abc', span_id: 'def' };
  h.observe({ labels: { route: '/a}"b' }, value: 0.5, exemplarLabels });
  const om = await r.metrics();
  t.regex(om, /# \{trace_id="abc",span_id="def"\} 0.5/);
  t.regex(om, /# EOF/);
  const text = toPrometheusText(om);
  t.notRegex(text, /trace_id|# EOF/);
  t.regex(text, /^# TYPE x_requests_total counter$/m);
  t.regex(text, /^# HELP x_requests_total Requests\.$/m);
  t.regex(text, /^x_requests_total\{route="\/call\/\{api_name\} # \{x\}"\} 1$/m, 'a " # {" inside a label value is not an exemplar');
  t.regex(text, /^x_seconds_bucket\{le="1",route="\/a}\\"b"\} 1$/m);
  t.regex(text, /^# TYPE x_seconds histogram$/m);
});
