import test from 'ava';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../proxy/src/config/load.js';
import { toPrometheusText } from '../../proxy/src/exposition.js';
import { buildMetrics, LabelLimiter, METRIC, statusClass } from '../../proxy/src/metrics.js';
import { buildProxy } from '../../proxy/src/server.js';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

function documented(): Set<string> {
  const start = doc.indexOf('## Metrics');
  const end = doc.indexOf('\n#', start + 1);
  const out = new Set<string>();
  for (const line of doc.slice(start, end).split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of line.split('|')[1]!.matchAll(/`([^`]+)`/g)) out.add(m[1]!);
  }
  return out;
}

async function exposed(registry: { metrics(): Promise<string> }): Promise<Set<string>> {
  const text = toPrometheusText(await registry.metrics());
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

test('every metric the proxy exposes is documented in operations.md, and every documented one exists', async (t) => {
  const app = buildProxy(loadConfig({}, { OTEL_TRACES_EXPORTER: 'none', TTS_PROXY_ACCESS_LOG: 'off' }));
  t.deepEqual([...await exposed(app.metrics.registry)].sort(), [...documented()].sort());
  await app.tracing.flush(100);
});

test('metric names are declared once (METRIC) and all registered', async (t) => {
  const names = await exposed(buildMetrics().registry);
  for (const n of Object.values(METRIC)) t.true(names.has(n), n);
});

test('status class and bounded label values', (t) => {
  t.is(statusClass(503), '5xx');
  t.is(statusClass(200), '2xx');
  const l = new LabelLimiter(2);
  t.deepEqual(['/a', '/b', '/c', '/a', undefined].map((v) => l.value(v)), ['/a', '/b', 'other', '/a', '']);
});

test('table evictions are counted per label set and exposed as a counter', async (t) => {
  const m = buildMetrics();
  m.tableEvictions.inc({ table: 'predictions', reason: 'capacity' });
  m.tableEvictions.inc({ table: 'predictions', reason: 'capacity' });
  m.tableEvictions.inc({ table: 'files', reason: 'expired' });
  const text = toPrometheusText(await m.registry.metrics());
  t.regex(text, /^# TYPE tts_proxy_table_evictions_total counter$/m);
  t.regex(text, /^tts_proxy_table_evictions_total\{table="predictions",reason="capacity"\} 2$/m);
  t.regex(text, /^tts_proxy_table_evictions_total\{table="files",reason="expired"\} 1$/m);
});
