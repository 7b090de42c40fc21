import test from 'ava';
import type { AddressInfo } from 'node:net';
import { buildAdminServer, type AdminState } from '../../proxy/src/admin.js';
import type { AdminLock } from '../../proxy/src/admin-guard.js';
import { buildMetrics } from '../../proxy/src/metrics.js';
import { RatioControl } from '../../proxy/src/sampling/head.js';

const TOKEN = 'unit-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

async function admin(lock: AdminLock = { token: TOKEN, unixSocket: false }) {
  const ratio = new RatioControl(0.1);
  const state: AdminState = { draining: false };
  const metrics = buildMetrics();
  const server = buildAdminServer({ metrics, state, ratio, sampler: 'parentbased_traceidratio', lock });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { ratio, state, server, url, metrics };
}

const post = (url: string, body: string, headers: Record<string, string> = AUTH) =>
  fetch(`${url}/admin/sampling`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

test('POST /admin/sampling raises the ratio for a while; GET shows it; DELETE reverts', async (t) => {
  const a = await admin();
  const r = await post(a.url, JSON.stringify({ ratio: 1, duration_s: 600 }));
  t.is(r.status, 200);
  const body = await r.json() as { effective_ratio: number; configured_ratio: number; override: { ratio: number; remaining_s: number } };
  t.is(body.effective_ratio, 1);
  t.is(body.configured_ratio, 0.1);
  t.true(body.override.remaining_s > 590);
  t.is(a.ratio.ratio, 1);
  t.like(await (await fetch(`${a.url}/admin/sampling`)).json(), { effective_ratio: 1, sampler: 'parentbased_traceidratio' });
  t.like(await (await fetch(`${a.url}/admin/sampling`, { method: 'DELETE', headers: AUTH })).json(), { effective_ratio: 0.1, override: null });
  a.server.close();
});

test('bad requests are refused and change nothing', async (t) => {
  const a = await admin();
  for (const b of ['', 'nope', '{}', '{"ratio":2,"duration_s":60}', '{"ratio":0.5}', '{"ratio":0.5,"duration_s":0}', '{"ratio":0.5,"duration_s":86401}', '{"ratio":"1","duration_s":60}']) {
    t.is((await post(a.url, b)).status, 400, b);
  }
  t.is((await post(a.url, 'x'.repeat(10_000))).status, 413);
  t.is((await fetch(`${a.url}/admin/sampling`, { method: 'PUT' })).status, 405);
  t.is(a.ratio.ratio, 0.1);
  a.server.close();
});

test('/metrics: OpenMetrics with exemplars for Prometheus, classic text otherwise; /healthz follows draining', async (t) => {
  const a = await admin();
  const om = await fetch(`${a.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' } });
  t.regex(om.headers.get('content-type')!, /^application\/openmetrics-text/);
  t.regex(await om.text(), /# EOF\n$/);
  const text = await fetch(`${a.url}/metrics`);
  t.regex(text.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  t.notRegex(await text.text(), /# EOF/);
  t.is((await fetch(`${a.url}/healthz`)).status, 200);
  a.state.draining = true;
  t.is((await fetch(`${a.url}/healthz`)).status, 503);
  a.server.close();
});

test('/metrics?name=…: only the named families, in either format; unknown names are left out', async (t) => {
  const a = await admin();
  a.metrics.clientAborts.inc({ http_route: '/x' });
  a.metrics.activeRequests.inc({ http_request_method: 'GET' });
  const whole = await (await fetch(`${a.url}/metrics`)).text();
  const families = (text: string) => [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  t.true(families(whole).length > 10);
  const some = await (await fetch(`${a.url}/metrics?name=http_server_active_requests&name=tts_proxy_client_aborts&name=no_such_metric`)).text();
  t.deepEqual(families(some), ['http_server_active_requests', 'tts_proxy_client_aborts_total']);
  // The same lines as in the whole exposition.
  for (const line of some.split('\n').filter(Boolean)) t.true(whole.includes(line), line);
  t.regex(some, /^tts_proxy_client_aborts_total\{http_route="\/x"\} 1$/m);
  t.regex(some, /^http_server_active_requests\{http_request_method="GET"\} 1$/m);
  const om = await (await fetch(`${a.url}/metrics?name=tts_proxy_client_aborts_total`, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } })).text();
  t.deepEqual(families(om), ['tts_proxy_client_aborts']);
  t.regex(om, /# EOF\n$/);
  a.server.close();
});

test('the lock: no token and no socket refuses writes; a socket allows them; the token is checked', async (t) => {
  const body = JSON.stringify({ ratio: 1, duration_s: 60 });
  const none = await admin({ token: '', unixSocket: false });
  t.is((await post(none.url, body, {})).status, 403);
  t.is((await fetch(`${none.url}/admin/sampling`)).status, 200, 'reads stay open');
  none.server.close();
  const sock = await admin({ token: '', unixSocket: true });
  t.is((await post(sock.url, body, {})).status, 200);
  sock.server.close();
  const tok = await admin();
  for (const authorization of ['', `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN} extra`, `Token ${TOKEN}`, TOKEN]) {
    t.is((await post(tok.url, body, { authorization })).status, 401, authorization);
  }
  t.is((await post(tok.url, body, { authorization: `bearer ${TOKEN}` })).status, 200, 'the scheme is case-insensitive');
  tok.server.close();
});

test('the lock: browsers\' cross-site and same-site writes are refused before the token is looked at', async (t) => {
  const a = await admin();
  const body = JSON.stringify({ ratio: 1, duration_s: 60 });
  const sites: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
  for (const h of sites) {
    t.is((await post(a.url, body, { ...AUTH, ...h })).status, 403, JSON.stringify(h));
  }
  t.is(a.ratio.ratio, 0.1);
  t.is((await post(a.url, body, { ...AUTH, origin: a.url, 'sec-fetch-site': 'same-origin' })).status, 200);
  t.is((await post(a.url, JSON.stringify({ ratio: 0.1, duration_s: 1 }), { ...AUTH, 'sec-fetch-site': 'none' })).status, 200, 'typed into the address bar');
  a.server.close();
});

test('the lock: writes are JSON only (415)', async (t) => {
  const a = await admin();
  const body = JSON.stringify({ ratio: 1, duration_s: 60 });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json']) {
    const r = await fetch(`${a.url}/admin/sampling`, { method: 'POST', body, headers: { ...AUTH, 'content-type': type } });
    t.is(r.status, 415, type);
  }
  const r = await fetch(`${a.url}/admin/sampling`, { method: 'POST', body, headers: { ...AUTH, 'content-type': 'Application/JSON; charset=utf-8' } });
  t.is(r.status, 200, 'media type parameters and case are fine');
  a.server.close();
});
