// Gray release on real components (issue #6): the shipped nginx template balances two proxy
// replicas, which share no state, by client; the stable arm has two Gradio replicas, the canary
// one. 200 @gradio/client and 20 gradio_client (Python) sessions (upload, join, data) from 220
// client addresses must each stay on one replica — a cross-replica upload would fail, since each
// replica keeps its own files — and the canary share must follow its weight. Then `report` must
// count what was sent, per arm, and every prediction must be one whole trace (issue 11, defect 8:
// round robin split a prediction's join from its result stream, and the trace ended `expired`).
import { Client, handle_file } from '@gradio/client';
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArms, pickRoute } from '../../proxy/src/canary.js';
import { makeWav } from '../support/audio.js';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { MAIN, accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { zipkinUrl } from '../support/zipkin.js';

const APP = fileURLToPath(new URL('../../../test/apps/replica_app.py', import.meta.url));
const PY_SESSIONS = fileURLToPath(new URL('../../../test/apps/replica_sessions.py', import.meta.url));
const SESSIONS = 200;
const PY = 20;
const CANARY_WEIGHT = 20;
const marker = randomBytes(3).toString('hex');
const service = `canary-${marker}`;

let apps: RunningGradioApp[] = [];
let proxies: RunningProxy[] = [];
let nginx: RunningNginx;
let armsSpec: string;

test.before(async () => {
  apps = await Promise.all(['stable-0', 'stable-1', 'canary-0'].map((name) => startGradioApp(APP, { env: { REPLICA_NAME: name } })));
  armsSpec = `stable=v1:${100 - CANARY_WEIGHT}:${apps[0]!.url},${apps[1]!.url};canary=v2:${CANARY_WEIGHT}:${apps[2]!.url}`;
  // Two independent proxy replicas with the same configuration, nothing shared.
  proxies = await Promise.all([0, 1].map(async () => startProxy({
    upstream: apps[0]!.url, zipkinUrl: await zipkinUrl(),
    env: { TTS_PROXY_ARMS: armsSpec, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '500' },
  })));
  nginx = await startNginx({ proxyPort: proxies[0]!.port, moreProxyPorts: [proxies[1]!.port] });
});
test.after.always(async () => {
  await nginx?.stop();
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all(apps.map((a) => a.stop()));
});

const wav = makeWav({ seconds: 1, rate: 16000 });
const clientIp = (i: number) => `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`;

interface Outcome { readonly ip: string; readonly replica?: string; readonly error?: string }

async function session(i: number): Promise<Outcome> {
  const ip = clientIp(i);
  try {
    // A client at its own address; nginx (a trusted hop) appends its own, the proxies hash the client's.
    const client = await Client.connect(nginx.url, { headers: { 'x-forwarded-for': ip } });
    const r = await client.predict('/handle', { text: `session ${i}`, audio_path: handle_file(new Blob([new Uint8Array(wav)], { type: 'audio/wav' })) });
    client.close?.();
    const out = String((r.data as unknown[])[0]);
    const [replica, len, size] = out.split('|');
    if (len !== String(`session ${i}`.length) || size !== String(wav.length)) return { ip, error: `bad output ${out}` };
    return { ip, replica };
  } catch (err) {
    return { ip, error: String((err as Error)?.message ?? err) };
  }
}

/** `count` sessions of the Python client, from addresses SESSIONS.. on (one process, one client each). */
async function pythonSessions(count: number): Promise<Outcome[]> {
  const wavPath = join(tmpdir(), `canary-${marker}.wav`);
  writeFileSync(wavPath, wav);
  const out = await new Promise<string>((resolve, reject) => {
    execFile(apps[0]!.python, [PY_SESSIONS, nginx.url, wavPath, String(SESSIONS), String(count)], { timeout: 4 * 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr.slice(-4000)}`)) : resolve(stdout)));
  });
  return out.trim().split('\n').map((l, k) => {
    const r = JSON.parse(l) as { ip: string; out?: string; error?: string };
    if (r.error) return { ip: r.ip, error: r.error };
    const [replica, len, size] = r.out!.split('|');
    const ok = len === String(`session ${SESSIONS + k}`.length) && size === String(wav.length);
    return ok ? { ip: r.ip, replica } : { ip: r.ip, error: `bad output ${r.out}` };
  });
}

let outcomes: Outcome[] = [];

test.serial('220 sessions of both official clients through two proxy replicas: no session errors, each on one replica, canary share ≈ weight', async (t) => {
  t.timeout(6 * 60_000);
  const python = pythonSessions(PY);
  for (let i = 0; i < SESSIONS; i += 10) outcomes.push(...await Promise.all(Array.from({ length: 10 }, (_, k) => session(i + k))));
  outcomes.push(...await python);
  t.is(outcomes.length, SESSIONS + PY);
  const errors = outcomes.filter((o) => o.error);
  t.deepEqual(errors, [], 'no "session not found", "event not found" or cross-replica upload failures');
  // Every session ran on the replica its client address hashes to, whichever proxy replica nginx
  // picked for each of its requests: the proxies agree without sharing anything.
  const arms = parseArms(armsSpec);
  const expected = (ip: string) => {
    const r = pickRoute({ arms, header: 'x-canary', cookie: 'tts_route', cookieMaxAgeS: 60 }, {}, ip);
    return `${r.arm.name}-${r.replicaIndex}`;
  };
  t.deepEqual(outcomes.filter((o) => o.replica !== expected(o.ip)), []);
  const canary = outcomes.filter((o) => o.replica === 'canary-0').length;
  t.true(Math.abs((100 * canary) / outcomes.length - CANARY_WEIGHT) <= 5, `canary share ${(100 * canary) / outcomes.length}% for weight ${CANARY_WEIGHT}%`);
  t.true(outcomes.some((o) => o.replica === 'stable-0') && outcomes.some((o) => o.replica === 'stable-1'), 'both stable replicas serve');
  // nginx really spread the requests over both proxy replicas.
  for (const p of proxies) t.true(accessLog(p).length > SESSIONS, `a proxy replica handled ${accessLog(p).length} requests`);
  const arms2 = new Set(proxies.flatMap((p) => accessLog(p).map((l) => `${l.arm}/${l.version}`)));
  t.deepEqual([...arms2].sort(), ['canary/v2', 'stable/v1']);
});

test.serial('X-Canary overrides; the cookie pins a browser whatever its address', async (t) => {
  const since = new Date().toISOString();
  const forced = await Client.connect(nginx.url, { headers: { 'x-forwarded-for': clientIp(0), 'x-canary': 'canary' } });
  const r = await forced.predict('/handle', { text: 'x', audio_path: handle_file(new Blob([new Uint8Array(wav)], { type: 'audio/wav' })) });
  forced.close?.();
  t.is(String((r.data as unknown[])[0]).split('|')[0], 'canary-0');
  const page = await fetch(`${nginx.url}/`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
  const cookie = page.headers.get('set-cookie') ?? '';
  t.regex(cookie, /^tts_route=(stable|canary)\.\d; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax/);
  const pin = cookie.split(';')[0]!;
  for (let i = 0; i < 6; i++) {
    const c = await fetch(`${nginx.url}/config`, { headers: { cookie: pin, 'x-forwarded-for': `192.0.2.${i + 1}` } });
    t.is(c.headers.get('set-cookie'), null, 'a pinned client gets no new cookie');
    await c.arrayBuffer();
  }
  await new Promise((r) => setTimeout(r, 500)); // access-log lines are written when a request's span ends
  const lines = proxies.flatMap((p) => accessLog(p)).filter((l) => l.route === '/config' && String(l.time) >= since && !String(l.replica).startsWith('canary'));
  t.is(lines.length, 6);
  t.is(new Set(lines.map((l) => l.replica)).size, 1, JSON.stringify(lines.map((l) => l.replica)));
  t.is(`tts_route=${String(lines[0]!.replica).replace('-', '.')}`, pin);
});

test.serial('report reads the run back from Zipkin: per-arm request counts equal what was sent', async (t) => {
  t.timeout(2 * 60_000);
  await new Promise((r) => setTimeout(r, 3000)); // the proxies' export interval, then Zipkin's indexing
  // What the clients sent, per arm: every request both proxy replicas logged.
  const lines = proxies.flatMap((p) => accessLog(p));
  const sent = { stable: lines.filter((l) => l.arm === 'stable').length, canary: lines.filter((l) => l.arm === 'canary').length };
  t.is(sent.stable + sent.canary, lines.length);
  const zipkin = await zipkinUrl();
  const json = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [MAIN, 'report', '--zipkin', zipkin, '--since', '30m', '--service', service, '--format', 'json'],
      { timeout: 90_000, maxBuffer: 64 << 20 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
  });
  const report = JSON.parse(json) as { arms: { arm: string; version: string; predictions: number; http_requests: number; error_rate: number | null; replicas: Record<string, number> }[] };
  const byArm = Object.fromEntries(report.arms.map((a) => [a.arm, a]));
  t.is(byArm.stable?.http_requests, sent.stable);
  t.is(byArm.canary?.http_requests, sent.canary);
  t.is(byArm.stable?.version, 'v1');
  t.is(byArm.canary?.version, 'v2');
  t.is(byArm.stable?.error_rate, 0);
  t.is(byArm.canary?.error_rate, 0);
  // A prediction is one trace only when its join and its result stream pass the same proxy
  // replica; the template balances by client, so every one of the 221 (220 sessions and the
  // forced one) is whole: its gradio.predict ended `completed` in the join's trace. A split one
  // would still be open (until --prediction-ttl, then `expired`), and would not be counted here.
  t.is((byArm.stable?.predictions ?? 0) + (byArm.canary?.predictions ?? 0), SESSIONS + PY + 1);
  const metrics = await Promise.all(proxies.map(async (p) => (await fetch(`${p.adminUrl}/metrics`)).text()));
  for (const m of metrics) t.regex(m, /^tts_proxy_predictions_unmatched_total 0$/m);
  t.deepEqual(Object.keys(byArm.stable?.replicas ?? {}).sort(), ['stable-0', 'stable-1']);
  t.deepEqual(Object.keys(byArm.canary?.replicas ?? {}), ['canary-0']);
});
