// http_server_active_requests counts exchanges, not spans: a Gradio submission's SERVER span
// waits (bounded) for the prediction, which waits for the app's schema, and an app whose /config
// never answers held every such request "in flight" for seconds after its answer went out (found
// by the fuzzer: the gauge read 1 with no connection open).
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { metricValue, scrape } from '../support/metrics.js';

let app: Server;
let proxy: RunningProxy;

test.before(async () => {
  app = createServer((req, res) => {
    if (req.url === '/config' || req.url?.endsWith('/info')) return; // never answers
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"event_id":"e0123456789abcdef"}'));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}` });
});
test.after.always(async () => {
  await proxy?.stop();
  app?.closeAllConnections();
  app?.close();
});

test('a submission whose span waits for the app\'s schema leaves the in-flight gauge when its exchange ends', async (t) => {
  const before = accessLog(proxy).length;
  const r = await fetch(`${proxy.url}/gradio_api/queue/join`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: ['hello'], fn_index: 0, session_hash: 'abc123' }),
  });
  t.is(r.status, 200);
  await r.text();
  let active = Infinity;
  for (let i = 0; i < 500 && active > 0; i++) {
    active = metricValue(await scrape(proxy.adminUrl), 'http_server_active_requests', { http_request_method: 'POST' });
    if (active > 0) await sleep(10);
  }
  t.is(active, 0, 'the exchange is over');
  // The request's span (and its access-log line, written with it) is still waiting for the schema.
  t.is(accessLog(proxy).length, before, 'the span has not ended yet: the gauge did not wait for it');
  for (let i = 0; i < 200 && accessLog(proxy).length === before; i++) await sleep(50);
  t.is(accessLog(proxy).length, before + 1, 'the span ends in the end, bounded');
});
