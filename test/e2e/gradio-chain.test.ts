// A real Gradio app (newest 6.x from PyPI) behind Debian's nginx -> our proxy (issue #2):
// the official JS client gets the same results as direct, the page is byte-identical, and each
// request is one trace in Zipkin whose id nginx logs too.
import { Client } from '@gradio/client';
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { raw } from '../support/http.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { sha256 } from '../support/upstream.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

let app: RunningGradioApp;
let proxy: RunningProxy;
let nginx: RunningNginx;

test.before(async () => {
  app = await startGradioApp(ECHO_APP);
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
  nginx = await startNginx({ proxyPort: proxy.port });
});
// A failure here once showed only its symptom (nginx answering 502 after a stream was cut): what
// the proxy and nginx said goes into the test's log.
test.afterEach.always((t) => {
  if (t.passed) return;
  t.log(`proxy exit code: ${proxy.child.exitCode}, signal: ${proxy.child.signalCode}`);
  t.log(`proxy stderr (tail):\n${proxy.stderr().slice(-3000)}`);
  t.log(`app exit code: ${app.process.child.exitCode}; output (tail):\n${app.process.output().slice(-3000)}`);
  try {
    t.log(`nginx error.log (tail):\n${readFileSync(join(nginx.runtimeDir, 'error.log'), 'utf8').slice(-3000)}`);
  } catch { /* no log yet */ }
});
test.after.always(async () => {
  await nginx?.stop();
  await proxy?.stop();
  await app?.stop();
});

test.serial('@gradio/client predict through nginx -> proxy equals direct', async (t) => {
  const text = 'Grüße, 世界! 42';
  const direct = await Client.connect(app.url);
  const chained = await Client.connect(nginx.url);
  const a = await direct.predict('/echo', { text });
  const b = await chained.predict('/echo', { text });
  t.deepEqual(b.data, a.data);
  t.deepEqual(b.data, [[...text].reverse().join(''), text.length]);
  // A streaming generator: the chain yields the same sequence of messages as direct.
  const stream = async (c: Client) => {
    const out: unknown[] = [];
    for await (const msg of c.submit('/slow_count', { text: 'n' })) if (msg.type === 'data') out.push(msg.data);
    return out;
  };
  const viaChain = await stream(chained);
  t.deepEqual(viaChain, await stream(direct));
  t.deepEqual(viaChain.slice(0, 3), [['n 0'], ['n 1'], ['n 2']]);
  direct.close?.();
  chained.close?.();

  await new Promise((r) => setTimeout(r, 300));
  const join = accessLog(proxy).filter((l) => l.route === '/gradio_api/queue/join');
  t.true(join.length >= 2, 'joins went through the proxy');
  const traceId = String(join[0]!.trace_id);
  const spans = await getTrace(traceId, { minSpans: 5 });
  t.deepEqual(spans.map((s) => s.kind).filter(Boolean).sort(), ['CLIENT', 'SERVER']);
  t.truthy(spans.find((s) => s.name === 'gradio.predict /echo'), 'and the prediction is in the same trace');
  t.is(spans.find((s) => s.kind === 'SERVER')!.name, 'post /gradio_api/queue/join');
  const nginxLine = nginx.accessLogLines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.trace_id === traceId);
  t.truthy(nginxLine, 'nginx logged the same trace id');
});

test.serial('GET / returns the same bytes as direct (for the same public host)', async (t) => {
  const via = await raw(`${nginx.url}/`);
  t.is(via.status, 200);
  t.regex(String(via.headers['x-trace-id']), /^[0-9a-f]{32}$/);
  // Gradio renders its public root URL into the page from Host/X-Forwarded-*; ask the app
  // directly with the headers nginx sends, and the bodies must be identical.
  const direct = await raw(`${app.url}/`, {
    headers: { host: '127.0.0.1', 'x-forwarded-host': `127.0.0.1:${nginx.port}`, 'x-forwarded-proto': 'http', 'x-forwarded-for': '127.0.0.1' },
  });
  t.is(direct.status, 200);
  t.is(sha256(via.body), sha256(direct.body));
  t.true(via.body.length > 1000);
});
