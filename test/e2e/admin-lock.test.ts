// Issue 9 defect 7: the admin port must not be drivable from a web page. Writes need the admin
// token (or a unix socket), JSON, and a same-origin request; an oversize body gets a 413.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raw, type RawResponse } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const TOKEN = 'admin-secret-9f2c';
const SET = JSON.stringify({ ratio: 0, duration_s: 86_400 });
const SAMPLING = { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5', TTS_PROXY_ACCESS_LOG: 'off' };

let up: Upstream;
let open: RunningProxy;
let locked: RunningProxy;

test.before(async () => {
  up = await startUpstream();
  open = await startProxy({ upstream: up.url, env: SAMPLING });
  locked = await startProxy({ upstream: up.url, env: { ...SAMPLING, TTS_PROXY_ADMIN_TOKEN: TOKEN } });
});
test.after.always(async () => {
  await open?.stop();
  await locked?.stop();
  await up?.close();
});

async function effective(p: RunningProxy, socketPath?: string): Promise<number> {
  const r = await raw(socketPath ? 'http://localhost/admin/sampling' : `${p.adminUrl}/admin/sampling`, { socketPath });
  return (JSON.parse(r.body.toString()) as { effective_ratio: number }).effective_ratio;
}

const post = (p: RunningProxy, headers: Record<string, string | number>, body: string | Buffer = SET): Promise<RawResponse> =>
  raw(`${p.adminUrl}/admin/sampling`, { method: 'POST', headers, body: Buffer.from(body) });

test.serial('a cross-site form post (text/plain, foreign Origin) changes nothing', async (t) => {
  for (const p of [open, locked]) {
    const r = await post(p, { 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    t.true(r.status >= 400 && r.status < 500, `refused, got ${r.status}`);
    t.is(await effective(p), 0.5, 'the ratio is unchanged');
  }
});

test.serial('without a token (and no unix socket) admin writes are refused: locked by default', async (t) => {
  const r = await post(open, { 'content-type': 'application/json' });
  t.is(r.status, 403);
  t.is((await raw(`${open.adminUrl}/admin/sampling`, { method: 'DELETE' })).status, 403);
  t.is(await effective(open), 0.5);
  // Harmless reads stay open.
  t.is((await raw(`${open.adminUrl}/healthz`)).status, 200);
  t.is((await raw(`${open.adminUrl}/metrics`)).status, 200);
});

test.serial('with a token: a wrong or missing bearer is 401; the right one works', async (t) => {
  t.is((await post(locked, { 'content-type': 'application/json' })).status, 401);
  t.is((await post(locked, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}x` })).status, 401);
  t.is((await post(locked, { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` })).status, 401);
  t.is(await effective(locked), 0.5);
  const ok = await post(locked, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, JSON.stringify({ ratio: 1, duration_s: 60 }));
  t.is(ok.status, 200);
  t.is(await effective(locked), 1);
  const del = await raw(`${locked.adminUrl}/admin/sampling`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  t.is(del.status, 200);
  t.is(await effective(locked), 0.5);
});

test.serial('writes must be JSON: 415 otherwise, even with the token', async (t) => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    t.is((await post(locked, { ...auth, 'content-type': type })).status, 415, type);
  }
  t.is((await post(locked, auth)).status, 415, 'no content-type');
  t.is(await effective(locked), 0.5);
});

test.serial('cross-site and same-site requests are refused even with the token', async (t) => {
  const ok = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  t.is((await post(locked, { ...ok, 'sec-fetch-site': 'cross-site' })).status, 403);
  t.is((await post(locked, { ...ok, 'sec-fetch-site': 'same-site' })).status, 403);
  t.is((await post(locked, { ...ok, origin: 'http://evil.example' })).status, 403);
  t.is((await post(locked, { ...ok, origin: 'null' })).status, 403);
  t.is(await effective(locked), 0.5);
  // A same-origin page (the admin's own origin) is fine.
  const same = await post(locked, { ...ok, origin: locked.adminUrl, 'sec-fetch-site': 'same-origin' }, JSON.stringify({ ratio: 0.5, duration_s: 1 }));
  t.is(same.status, 200);
});

test.serial('a body over 4 KiB is answered with 413, then the connection is closed', async (t) => {
  const big = JSON.stringify({ ratio: 1, duration_s: 60, pad: 'x'.repeat(10_000) });
  const r = await post(locked, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, big);
  t.is(r.status, 413);
  t.is(r.headers.connection, 'close');
  t.is(await effective(locked), 0.5);
});

test.serial('a unix-socket admin port takes writes without a token (file permissions are the lock)', async (t) => {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'tts-admin-')), 'admin.sock');
  const p = await startProxy({ upstream: up.url, env: SAMPLING, adminSocket: socketPath });
  try {
    const r = await raw('http://localhost/admin/sampling', {
      method: 'POST', socketPath, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ ratio: 1, duration_s: 60 })),
    });
    t.is(r.status, 200);
    t.is(await effective(p, socketPath), 1);
    const xsite = await raw('http://localhost/admin/sampling', {
      method: 'POST', socketPath, headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: Buffer.from(SET),
    });
    t.is(xsite.status, 403);
    t.is(await effective(p, socketPath), 1);
  } finally {
    await p.stop();
  }
});
