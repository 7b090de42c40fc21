import test from 'ava';
import { ConfigError, helpText, loadConfig } from '../../../proxy/src/config/load.js';
import { OPTIONS } from '../../../proxy/src/config/schema.js';

test('defaults', (t) => {
  const c = loadConfig({}, {});
  t.is(c.upstream.href, 'http://127.0.0.1:7860/');
  t.deepEqual(c.listen, { host: '127.0.0.1', port: 7861 });
  t.deepEqual(c.admin, { host: '127.0.0.1', port: 9464 });
  t.deepEqual(c.propagators, ['tracecontext', 'b3', 'b3multi']);
  t.deepEqual(c.tracesExporter, ['zipkin']);
  t.is(c.serviceName, 'tts-trace-proxy');
});

test('flags override environment, environment overrides defaults', (t) => {
  const c = loadConfig({ '--listen': '0.0.0.0:9000' }, { TTS_PROXY_LISTEN: '127.0.0.1:8000', OTEL_SERVICE_NAME: 'svc', OTEL_TRACES_EXPORTER: 'console,zipkin' });
  t.deepEqual(c.listen, { host: '0.0.0.0', port: 9000 });
  t.is(c.serviceName, 'svc');
  t.deepEqual(c.tracesExporter, ['console', 'zipkin']);
});

test('config is frozen', (t) => {
  const c = loadConfig({}, {});
  t.true(Object.isFrozen(c));
  t.throws(() => { (c as { serviceName: string }).serviceName = 'x'; });
});

test('OTEL_RESOURCE_ATTRIBUTES is parsed and percent-decoded', (t) => {
  const c = loadConfig({}, { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, team=voice%20ops' });
  t.deepEqual({ ...c.resourceAttributes }, { 'deployment.environment': 'prod', team: 'voice ops' });
});

const bad: [Record<string, string>, Record<string, string>, RegExp][] = [
  [{ '--upstream': 'not a url' }, {}, /--upstream.*not a URL/],
  [{ '--listen': '127.0.0.1:99999' }, {}, /host:port/],
  [{}, { TTS_PROXY_TRACE_URL_TEMPLATE: 'javascript:alert(1)//{trace_id}' }, /must be an http\(s\) URL containing \{trace_id\}/],
  [{ '--trace-url-template': 'http://zipkin:9411/zipkin/traces/' }, {}, /must be an http\(s\) URL containing \{trace_id\}/],
  [{}, { OTEL_TRACES_EXPORTER: 'jaeger' }, /"jaeger" is not one of/],
  [{}, { OTEL_PROPAGATORS: 'xray' }, /"xray" is not one of/],
  [{ '--shutdown-timeout': '-1' }, {}, /outside/],
  [{ '--nope': '1' }, {}, /unknown option --nope/],
];
for (const [flags, env, re] of bad) {
  test(`rejects ${JSON.stringify({ ...flags, ...env })}`, (t) => {
    const err = t.throws(() => loadConfig(flags, env), { instanceOf: ConfigError });
    t.regex(err!.message, re);
  });
}

test('--help documents every flag and variable', (t) => {
  const text = helpText();
  for (const o of OPTIONS) {
    if (o.flag) t.true(text.includes(o.flag), o.flag);
    if (o.env) t.true(text.includes(o.env), o.env);
  }
});

test('the admin port: host:port or a unix socket; the lock and the trusted hops', (t) => {
  const d = loadConfig({}, {});
  t.is(d.adminToken, '');
  t.deepEqual([...d.trustedProxies], ['127.0.0.0/8', '::1']);
  t.is(d.debugTokenGuessesPerMin, 10);
  const c = loadConfig({ '--admin': 'unix:/run/tts/admin.sock', '--trusted-proxies': '10.0.0.0/8, 192.0.2.1' }, { TTS_PROXY_ADMIN_TOKEN: 's3cret' });
  t.deepEqual(c.admin, { socket: '/run/tts/admin.sock' });
  t.deepEqual([...c.trustedProxies], ['10.0.0.0/8', '192.0.2.1']);
  t.is(c.adminToken, 's3cret');
  t.deepEqual([...loadConfig({}, { TTS_PROXY_TRUSTED_PROXIES: '' }).trustedProxies], ['127.0.0.0/8', '::1'], 'an empty variable is unset');
  t.deepEqual([...loadConfig({ '--trusted-proxies': '' }, {}).trustedProxies], [], 'an empty flag trusts nobody');
  t.throws(() => loadConfig({ '--admin': 'unix:' }, {}), { instanceOf: ConfigError });
  t.throws(() => loadConfig({ '--trusted-proxies': 'nginx' }, {}), { instanceOf: ConfigError, message: /--trusted-proxies/ });
  t.throws(() => loadConfig({}, { TTS_PROXY_DEBUG_TOKEN_GUESSES_PER_MIN: '0' }), { instanceOf: ConfigError });
});
