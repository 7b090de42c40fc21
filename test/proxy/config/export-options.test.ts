// The export and sampling options (issue #5); the core options are in load.test.ts.
import test from 'ava';
import { ConfigError, loadConfig, otlpTracesUrl } from '../../../proxy/src/config/load.js';

test('defaults: parent-based ratio 1, zipkin, no spool, no debug token', (t) => {
  const c = loadConfig({}, {});
  t.is(c.tracesSampler, 'parentbased_traceidratio');
  t.is(c.tracesSamplerArg, 1);
  t.is(c.spoolDir, '');
  t.is(c.debugToken, '');
  t.true(c.forceB3Debug);
  t.is(c.logFormat, 'json');
  t.is(otlpTracesUrl(c).href, 'http://localhost:4318/v1/traces');
});

test('OTLP endpoints per the exporter spec: base + /v1/traces, or the traces URL as is', (t) => {
  t.is(otlpTracesUrl(loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/prefix' })).href, 'http://collector:4318/prefix/v1/traces');
  t.is(otlpTracesUrl(loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/custom' })).href, 'https://b/custom');
  const c = loadConfig({}, { OTEL_TRACES_EXPORTER: 'zipkin,otlp,console', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,x-tenant=a', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
  t.deepEqual(c.tracesExporter, ['zipkin', 'otlp', 'console']);
  t.deepEqual({ ...c.otlpHeaders }, { authorization: 'Bearer x', 'x-tenant': 'a' });
  t.is(c.otlpTracesProtocol, 'http/json');
});

const bad: [Record<string, string>, Record<string, string>, RegExp][] = [
  [{}, { OTEL_TRACES_SAMPLER: 'jaeger_remote' }, /OTEL_TRACES_SAMPLER.*not one of/],
  [{}, { OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG.*outside/],
  [{}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /not one of/],
  [{}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, /not a URL/],
  [{}, { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, /OTEL_EXPORTER_OTLP_HEADERS.*key=value/],
  [{ '--log-format': 'xml' }, {}, /--log-format.*not one of/],
  [{ '--spool-max-bytes': '10' }, {}, /outside/],
];
for (const [flags, env, re] of bad) {
  test(`rejects ${JSON.stringify({ ...flags, ...env })}`, (t) => {
    const err = t.throws(() => loadConfig(flags, env), { instanceOf: ConfigError });
    t.regex(err!.message, re);
  });
}
