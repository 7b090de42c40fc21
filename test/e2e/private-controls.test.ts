// Issue 9 defect 8: the proxy's own secrets and routing controls must not leak to the app or be
// usable beyond what they are for: X-Debug-Tracing, X-Canary and the pin cookie are stripped, a
// weight-0 arm is unreachable, wrong debug tokens are throttled, the traceresponse flag does not
// tell a guesser that the token was right, and X-Forwarded-For counts only from trusted hops.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from '../support/load.js';
import { metricValue, scrape } from '../support/metrics.js';
import { raw } from '../support/http.js';
import { startProxy } from '../support/proxy.js';
import { startUpstream, type SeenRequest, type Upstream } from '../support/upstream.js';

const TOKEN = 'debug-secret-77aa';
let stable: Upstream;
let dark: Upstream;

test.before(async () => {
  stable = await startUpstream();
  dark = await startUpstream();
});
test.after.always(async () => {
  await stable?.close();
  await dark?.close();
});

const arms = () => ['--arm', `stable=v1:100:${stable.url}`, '--arm', `dark=v2:0:${dark.url}`];
const lastSeen = (u: Upstream, marker: string): SeenRequest | undefined => u.seen.find((s) => s.url.includes(marker));
const rawHeaderNames = (s: SeenRequest) => s.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());

test.serial('X-Debug-Tracing, X-Canary and the pin cookie never reach the app; other cookies arrive byte-exact', async (t) => {
  const p = await startProxy({ upstream: stable.url, args: arms(), env: { TTS_PROXY_DEBUG_TOKEN: TOKEN, TTS_PROXY_ACCESS_LOG: 'off' } });
  try {
    const cases: [string, string | undefined][] = [
      ['a=1; tts_route=stable.0; b="x y"', 'a=1; b="x y"'],
      ['tts_route=stable.0', undefined],
      ['tts_route=stable.0;theme=dark', 'theme=dark'],
      ['sid=abc;  tts_route=stable.0', 'sid=abc'],
      ['sid=abc;x=tts_route=1', 'sid=abc;x=tts_route=1'],
    ];
    for (const [i, [cookie, expected]] of cases.entries()) {
      const marker = `m${i}`;
      const r = await raw(`${p.url}/json?${marker}`, { headers: { cookie, 'x-debug-tracing': TOKEN, 'x-canary': 'stable', 'x-other': 'kept' } });
      t.is(r.status, 200);
      const seen = lastSeen(stable, marker)!;
      t.truthy(seen, 'reached the stable arm');
      const names = rawHeaderNames(seen);
      t.false(names.includes('x-debug-tracing'), 'debug token stripped');
      t.false(names.includes('x-canary'), 'canary header stripped');
      t.is(seen.headers['x-other'], 'kept');
      t.is(seen.headers.cookie, expected, cookie);
    }
    // With a body, and with Expect: 100-continue (http-proxy's proxyReq event is late or absent for these).
    for (const [i, extra] of [{}, { expect: '100-continue' }].entries()) {
      const marker = `body${i}`;
      const body = Buffer.from(JSON.stringify({ data: ['x'], i }));
      const r = await raw(`${p.url}/echo?${marker}`, {
        method: 'POST', body, headers: { ...extra, 'content-type': 'application/json', 'content-length': body.length, cookie: 'tts_route=stable.0; keep=1', 'x-debug-tracing': TOKEN, 'x-canary': 'stable' },
      });
      t.is(r.status, 200);
      const seen = lastSeen(stable, marker)!;
      t.is(seen.bodyBytes, body.length);
      t.false(rawHeaderNames(seen).includes('x-debug-tracing'));
      t.false(rawHeaderNames(seen).includes('x-canary'));
      t.is(seen.headers.cookie, 'keep=1');
    }
    t.is(p.child.exitCode, null, 'the proxy is alive');
  } finally {
    await p.stop();
  }
});

test.serial('an arm with weight 0 is unreachable by header and by cookie', async (t) => {
  const p = await startProxy({ upstream: stable.url, args: arms(), env: { TTS_PROXY_ACCESS_LOG: 'off' } });
  try {
    await raw(`${p.url}/json?viaheader`, { headers: { 'x-canary': 'dark' } });
    await raw(`${p.url}/json?viacookie`, { headers: { cookie: 'tts_route=dark.0' } });
    t.truthy(lastSeen(stable, 'viaheader'));
    t.truthy(lastSeen(stable, 'viacookie'));
    t.is(dark.seen.length, 0, 'the dark arm got nothing');
  } finally {
    await p.stop();
  }
});

test.serial('the traceresponse sampled flag does not depend on whether the debug token matched', async (t) => {
  const p = await startProxy({
    upstream: stable.url,
    env: { TTS_PROXY_DEBUG_TOKEN: TOKEN, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', TTS_PROXY_ACCESS_LOG: 'off' },
  });
  try {
    const right = await once(`${p.url}/json`, { 'x-debug-tracing': TOKEN });
    const wrong = await once(`${p.url}/json`, { 'x-debug-tracing': 'guess' });
    t.is(wrong.sampled, false);
    t.is(right.sampled, wrong.sampled, 'a right guess looks like a wrong one');
    // The token still works: the trace is forced (counted) and the app is told to sample it.
    const m = await scrape(p.adminUrl);
    t.is(metricValue(m, 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'forced' }), 1);
  } finally {
    await p.stop();
  }
});

test.serial('wrong debug-token guesses are throttled per client; past the limit even the right token is ignored', async (t) => {
  const p = await startProxy({
    upstream: stable.url,
    env: {
      TTS_PROXY_DEBUG_TOKEN: TOKEN, TTS_PROXY_DEBUG_TOKEN_GUESSES_PER_MIN: '5', TTS_PROXY_FORCE_MAX_PER_S: '0',
      OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', TTS_PROXY_ACCESS_LOG: 'off',
    },
  });
  try {
    const forced = async () => metricValue(await scrape(p.adminUrl), 'tts_proxy_sampling_traces_total', { decision: 'kept', reason: 'forced' });
    // The test client is on loopback, a trusted hop by default, so X-Forwarded-For names the client.
    const attacker = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 5; i++) await once(`${p.url}/json`, { ...attacker, 'x-debug-tracing': `guess-${i}` });
    await once(`${p.url}/json`, { ...attacker, 'x-debug-tracing': TOKEN });
    t.is(await forced(), 0, 'the right token after the guess budget forces nothing');
    const m = await scrape(p.adminUrl);
    t.is(metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'bad_token' }), 5);
    t.is(metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'guess_limited' }), 1);
    // Another client is not punished for the attacker's guesses.
    await once(`${p.url}/json`, { 'x-forwarded-for': '198.51.100.9', 'x-debug-tracing': TOKEN });
    t.is(await forced(), 1);
  } finally {
    await p.stop();
  }
});

test.serial('X-Forwarded-For from an untrusted peer is ignored (client.address, guess throttle)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tts-xff-'));
  const spanFile = join(dir, 'spans.json');
  const p = await startProxy({
    upstream: stable.url,
    args: ['--trusted-proxies', '10.0.0.0/8', '--span-file', spanFile],
    env: {
      OTEL_TRACES_EXPORTER: 'file', TTS_PROXY_DEBUG_TOKEN: TOKEN, TTS_PROXY_DEBUG_TOKEN_GUESSES_PER_MIN: '3',
      TTS_PROXY_FORCE_MAX_PER_S: '0', TTS_PROXY_LOG_LEVEL: 'debug',
    },
  });
  let stopped = false;
  try {
    // Each guess claims a fresh address; the peer (127.0.0.1) is not trusted, so they share one budget.
    for (let i = 0; i < 3; i++) await once(`${p.url}/json`, { 'x-forwarded-for': `192.0.2.${i}`, 'x-debug-tracing': `guess-${i}` });
    const spoofed = await once(`${p.url}/json`, { 'x-forwarded-for': '192.0.2.200', 'x-debug-tracing': TOKEN });
    const m = await scrape(p.adminUrl);
    t.is(metricValue(m, 'tts_proxy_sampling_force_refused_total', { reason: 'guess_limited' }), 1);
    await p.stop();
    stopped = true;
    const spans = JSON.parse(readFileSync(spanFile, 'utf8')) as { traceId: string; kind: string; tags?: Record<string, string> }[];
    const server = spans.filter((s) => s.kind === 'SERVER');
    t.true(server.length >= 4);
    for (const s of server) t.is(s.tags?.['client.address'], '127.0.0.1', 'the peer, not the claimed address');
    t.truthy(server.find((s) => s.traceId === spoofed.traceId));
    t.false(readFileSync(spanFile, 'utf8').includes(TOKEN), 'the debug token is in no span');
    t.false((p.stdout() + p.stderr()).includes(TOKEN), 'nor in any log line');
  } finally {
    if (!stopped) await p.stop();
  }
});

test.serial('X-Forwarded-For through a trusted hop: the rightmost untrusted address is the client', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tts-xff-'));
  const spanFile = join(dir, 'spans.json');
  const p = await startProxy({
    upstream: stable.url,
    args: ['--trusted-proxies', '127.0.0.0/8,10.0.0.0/8', '--span-file', spanFile],
    env: { OTEL_TRACES_EXPORTER: 'file', TTS_PROXY_ACCESS_LOG: 'off' },
  });
  const a = await once(`${p.url}/json`, { 'x-forwarded-for': '198.51.100.1, 203.0.113.5, 10.1.2.3' });
  const b = await once(`${p.url}/json`, { 'x-forwarded-for': '203.0.113.6' });
  const c = await once(`${p.url}/json`);
  await p.stop();
  const spans = JSON.parse(readFileSync(spanFile, 'utf8')) as { traceId: string; kind: string; tags?: Record<string, string> }[];
  const client = (id?: string) => spans.find((s) => s.kind === 'SERVER' && s.traceId === id)?.tags?.['client.address'];
  t.is(client(a.traceId), '203.0.113.5', 'a spoofed left-most entry is not believed');
  t.is(client(b.traceId), '203.0.113.6');
  t.is(client(c.traceId), '127.0.0.1');
});
