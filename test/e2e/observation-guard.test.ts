// Issue 9: observation is isolated by construction. For every guard site (and for all at once)
// the real proxy is started with TTS_PROXY_FAULT_INJECT=<site>, so that hook throws or rejects
// before it runs; the same Gradio-shaped traffic (plain GET, /config, upload, join + queue/data
// SSE, a gzip /run answer, /call + its stream, a body past the JSON fast path) must give the
// client exactly the app's bytes, the process must live, and the site's failure counter must rise.
// The app is scripted: this is about the proxy's own isolation, not about Gradio.
import test from 'ava';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { GUARD_SITES, Site } from '../../proxy/src/guard.js';
import { makeWav } from '../support/audio.js';
import { raw } from '../support/http.js';
import { rawExchange } from '../support/raw-socket.js';
import { metricValue, scrape } from '../support/metrics.js';
import { closedPort, freePort } from '../support/ports.js';
import { alive, startProxy, type RunningProxy } from '../support/proxy.js';
import { sha256 } from '../support/upstream.js';

const WAV = makeWav({ seconds: 1, rate: 16000 });
const CONFIG = JSON.stringify({
  version: '5.0.0', protocol: 'sse_v3', api_prefix: '/gradio_api',
  components: [{ id: 1, type: 'textbox', props: { label: 'Text' } }, { id: 2, type: 'audio', props: { label: 'Prompt' } }],
  dependencies: [{ id: 0, api_name: 'echo', inputs: [1, 2] }],
});
const INFO = JSON.stringify({ named_endpoints: { '/echo': { parameters: [{ parameter_name: 'text' }, { parameter_name: 'prompt' }] } } });
const RUN_GZIP = gzipSync(Buffer.from(JSON.stringify({ data: ['hi', { path: '/tmp/out.wav' }], is_generating: false })));

const sseFor = (eventId: string) => [
  { msg: 'estimation', event_id: eventId, rank: 0, queue_size: 1, rank_eta: 0.1 },
  { msg: 'process_starts', event_id: eventId },
  { msg: 'process_generating', event_id: eventId, output: { data: [] } },
  { msg: 'process_completed', event_id: eventId, success: true, output: { data: [{ path: '/tmp/out.wav', url: null, is_stream: false }] } },
  { msg: 'close_stream', event_id: null },
].map((m) => `data: ${JSON.stringify(m)}\n\n`).join('');

function startApp(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const digest = hash.digest('hex');
      const json = (body: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      switch (url.pathname) {
        case '/plain': return void res.writeHead(200, { 'content-type': 'text/plain' }).end('plain bytes\n'.repeat(100));
        case '/config': return json(CONFIG);
        case '/gradio_api/info': return json(INFO);
        case '/gradio_api/upload': return json(JSON.stringify([`/tmp/gradio/${digest}/prompt.wav`]));
        case '/gradio_api/queue/join': return json(JSON.stringify({ event_id: digest.slice(0, 32) }));
        case '/gradio_api/queue/data':
          return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(sseFor(url.searchParams.get('e') ?? ''));
        case '/gradio_api/run/echo':
          return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(RUN_GZIP);
        case '/gradio_api/call/echo': return json(JSON.stringify({ event_id: `c${digest.slice(0, 31)}` }));
        case '/gradio_api/file=/tmp/out.wav': {
          const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
          if (!range) return void res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': WAV.length }).end(WAV);
          const start = Number(range[1]);
          const end = Math.min(Number(range[2]), WAV.length - 1);
          return void res.writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes ${start}-${end}/${WAV.length}` }).end(WAV.subarray(start, end + 1));
        }
        default:
          if (url.pathname.startsWith('/gradio_api/call/echo/')) {
            return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: generating\ndata: ["h"]\n\nevent: complete\ndata: ["hi"]\n\n');
          }
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      }
    });
  });
  return freePort().then((port) => new Promise((r) => server.listen(port, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${port}` }))));
}

function multipart(file: Buffer): { body: Buffer; type: string } {
  const boundary = '----guardtest';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="prompt.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** The traffic of one Gradio session and a few plain requests: what the client got for each. */
async function traffic(base: string): Promise<string[]> {
  const out: string[] = [];
  const json = { 'content-type': 'application/json' };
  const note = (name: string, r: { status: number; body: Buffer }) => { out.push(`${name} ${r.status} ${sha256(r.body)}`); return r; };
  note('plain', await raw(`${base}/plain`));
  note('config', await raw(`${base}/config`));
  const form = multipart(WAV);
  const up = note('upload', await raw(`${base}/gradio_api/upload`, { body: form.body, headers: { 'content-type': form.type } }));
  const path = (JSON.parse(up.body.toString()) as string[])[0];
  const join = note('join', await raw(`${base}/gradio_api/queue/join`, {
    body: Buffer.from(JSON.stringify({ data: ['hello there', { path, meta: { _type: 'gradio.FileData' } }], fn_index: 0, session_hash: 'sess1' })), headers: json,
  }));
  const eventId = (JSON.parse(join.body.toString()) as { event_id: string }).event_id;
  note('queue/data', await raw(`${base}/gradio_api/queue/data?session_hash=sess1&e=${eventId}`));
  note('run gzip', await raw(`${base}/gradio_api/run/echo`, { body: Buffer.from('{"data":["hi",null]}'), headers: json }));
  const call = note('call', await raw(`${base}/gradio_api/call/echo`, { body: Buffer.from('{"data":["hi",null]}'), headers: json }));
  const callId = (JSON.parse(call.body.toString()) as { event_id: string }).event_id;
  note('call stream', await raw(`${base}/gradio_api/call/echo/${callId}`));
  // Past the 64 KiB fast path: tokenised as a stream.
  const big = Buffer.from(JSON.stringify({ data: ['x'.repeat(100_000), null], fn_index: 0, session_hash: 'sess2' }));
  note('big join', await raw(`${base}/gradio_api/queue/join`, { body: big, headers: json }));
  return out;
}

let app: { server: Server; url: string };
let expected: string[];

test.before(async () => {
  app = await startApp();
  expected = await traffic(app.url);
});
test.after.always(() => {
  app?.server.closeAllConnections();
  app?.server.close();
});

async function failuresAt(p: RunningProxy, site: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = metricValue(await scrape(p.adminUrl), 'tts_proxy_observation_failures_total', site === 'all' ? {} : { site });
    if (n > 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('without injected faults the traffic is clean: same bytes, no observation failure', async (t) => {
  const proxy = await startProxy({ upstream: app.url });
  try {
    t.deepEqual(await traffic(proxy.url), expected);
    await new Promise((r) => setTimeout(r, 500));
    t.is(metricValue(await scrape(proxy.adminUrl), 'tts_proxy_observation_failures_total'), 0, proxy.stderr());
  } finally {
    await proxy.stop();
  }
});

for (const site of [...GUARD_SITES, 'all']) {
  test.serial(`a throw injected at ${site}: same bytes, process alive, counted`, async (t) => {
    const proxy = await startProxy({ upstream: app.url, env: { TTS_PROXY_FAULT_INJECT: site } });
    try {
      t.deepEqual(await traffic(proxy.url), expected);
      // The sweep runs every 10 s; everything else happens during the traffic.
      t.true(await failuresAt(proxy, site, site === Site.SWEEP ? 15_000 : 5000) > 0, `failures counted at ${site}`);
      t.true(await alive(proxy), proxy.stderr());
    } finally {
      await proxy.stop();
    }
  });
}

// Forwarding policy holds for a request the pipeline failed to observe (no request state): a
// refused app is a 502 answer, an app dying mid-body closes the client's connection.
test.serial('a request left unobserved still gets the gateway\'s answers: 502 for a refused app, a closed connection for an app dying mid-body', async (t) => {
  const deadPort = await closedPort();
  const refused = await startProxy({ upstream: `http://127.0.0.1:${deadPort}`, env: { TTS_PROXY_FAULT_INJECT: Site.PIPELINE } });
  try {
    const r = await raw(`${refused.url}/plain`);
    t.is(r.status, 502);
    t.is((JSON.parse(r.body.toString()) as { error_type: string }).error_type, 'upstream_unavailable');
  } finally {
    await refused.stop();
  }
  const dying = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('only part of it');
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const port = await freePort();
  await new Promise<void>((r) => dying.listen(port, '127.0.0.1', r));
  const proxy = await startProxy({ upstream: `http://127.0.0.1:${port}`, env: { TTS_PROXY_FAULT_INJECT: Site.PIPELINE } });
  try {
    const r = await rawExchange(proxy.port, 'GET /plain HTTP/1.1\r\nHost: app\r\n\r\n', 10_000);
    t.deepEqual(r.statuses, [200]);
    t.true(r.text.endsWith('only part of it'), 'the bytes the app sent, and no more');
    t.true(r.closed, 'the client is not left waiting for the rest');
    t.true(await alive(proxy), proxy.stderr());
  } finally {
    await proxy.stop();
    dying.close();
  }
});

test.serial('an unknown site name is refused at start', async (t) => {
  await t.throwsAsync(startProxy({ upstream: app.url, env: { TTS_PROXY_FAULT_INJECT: 'no-such-hook' } }), { message: /exited early/ });
});
