// The proxy forwards exactly what it receives, whatever the body (issue #2 "byte-exactness").
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { raw } from '../support/http.js';
import { closedPort, freePort } from '../support/ports.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { GZIP_BODY, JSON_BODY, WAV, sha256, startUpstream, type Upstream } from '../support/upstream.js';

let up: Upstream;
let proxy: RunningProxy;

test.before(async () => {
  up = await startUpstream();
  proxy = await startProxy({ upstream: up.url });
});
test.after.always(async () => {
  await proxy?.stop();
  await up?.close();
});

test.serial('JSON response: same bytes, status and end-to-end headers, plus trace headers', async (t) => {
  const direct = await raw(`${up.url}/json`);
  const via = await raw(`${proxy.url}/json`);
  t.is(via.status, 200);
  t.is(sha256(via.body), sha256(JSON_BODY));
  t.is(sha256(via.body), sha256(direct.body));
  t.is(via.headers['x-custom'], 'kept');
  t.is(via.headers['content-type'], direct.headers['content-type']);
  t.regex(String(via.headers['x-trace-id']), /^[0-9a-f]{32}$/);
  t.regex(String(via.headers.traceresponse), new RegExp(`^00-${via.headers['x-trace-id']}-[0-9a-f]{16}-01$`));
});

test.serial('JSON request body reaches the app unchanged', async (t) => {
  const via = await raw(`${proxy.url}/echo`, { body: JSON_BODY, headers: { 'content-type': 'application/json' } });
  t.deepEqual(JSON.parse(via.body.toString()), { sha256: sha256(JSON_BODY), bytes: JSON_BODY.length });
});

test.serial('20 MB multipart upload is streamed, not buffered, and arrives byte-exact', async (t) => {
  const boundary = '----ttsTraceBoundary' + randomBytes(8).toString('hex');
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="voice.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const payload = randomBytes(20 * 1024 * 1024);
  const hash = createHash('sha256').update(head).update(payload).update(tail).digest('hex');
  const body = new PassThrough();
  const pending = raw(`${proxy.url}/echo`, {
    body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + payload.length + tail.length },
  });
  body.write(head);
  body.write(payload.subarray(0, 10 * 1024 * 1024));
  await new Promise((r) => setTimeout(r, 500));
  const secondHalfAt = Date.now();
  body.end(Buffer.concat([payload.subarray(10 * 1024 * 1024), tail]));
  const res = await pending;
  t.deepEqual(JSON.parse(res.body.toString()), { sha256: hash, bytes: head.length + payload.length + tail.length });
  const seen = up.seen.find((s) => s.bodySha256 === hash)!;
  t.truthy(seen.firstDataAt);
  t.true(seen.firstDataAt! < secondHalfAt, 'the app received bytes before the client had sent the second half');
});

test.serial('SSE: the first event reaches the client before the app ends the stream; whole body identical', async (t) => {
  const direct = await (async () => { const p = raw(`${up.url}/sse`); return p; })();
  let firstAt = 0;
  let gotFirst: () => void = () => undefined;
  const first = new Promise<void>((r) => { gotFirst = r; });
  const pending = raw(`${proxy.url}/sse/gated`, { onChunk: () => { if (!firstAt) { firstAt = Date.now(); gotFirst(); } } });
  await first;
  t.true(firstAt > 0, 'first event arrived while the upstream was still holding the stream open');
  up.releaseGate();
  const via = await pending;
  t.is(sha256(via.body), sha256(direct.body));
  t.is(via.headers['content-type'], 'text/event-stream; charset=utf-8');
  t.true(via.chunks > 1, 'streamed in several chunks, not one buffered body');
});

test.serial('Range request on a WAV file: 206 and the same slice', async (t) => {
  const direct = await raw(`${up.url}/audio.wav`, { headers: { range: 'bytes=100-4099' } });
  const via = await raw(`${proxy.url}/audio.wav`, { headers: { range: 'bytes=100-4099' } });
  t.is(via.status, 206);
  t.is(via.headers['content-range'], `bytes 100-4099/${WAV.length}`);
  t.is(sha256(via.body), sha256(direct.body));
  t.is(sha256(via.body), sha256(WAV.subarray(100, 4100)));
});

test.serial('gzip response passes still encoded', async (t) => {
  const via = await raw(`${proxy.url}/gzip`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(via.headers['content-encoding'], 'gzip');
  t.is(sha256(via.body), sha256(GZIP_BODY));
});

test.serial('hop-by-hop headers are dropped, X-Forwarded-* appended, baggage passed through', async (t) => {
  await raw(`${proxy.url}/echo`, {
    method: 'GET',
    headers: { connection: 'x-secret-hop', 'x-secret-hop': '1', te: 'trailers', 'x-forwarded-for': '203.0.113.7', baggage: 'tenant=a', host: 'public.example:8443' },
  });
  const seen = up.seen.at(-1)!;
  t.is(seen.headers['x-secret-hop'], undefined);
  t.is(seen.headers.te, undefined);
  t.is(seen.headers['x-forwarded-for'], '203.0.113.7,127.0.0.1');
  t.is(seen.headers['x-forwarded-proto'], 'http');
  t.is(seen.headers['x-forwarded-host'], 'public.example:8443');
  t.is(seen.headers.host, 'public.example:8443', 'Host is preserved: Gradio builds URLs from it');
  t.is(seen.headers.baggage, 'tenant=a');
});

test.serial('upstream error statuses pass through untouched', async (t) => {
  const via = await raw(`${proxy.url}/status/500`);
  t.is(via.status, 500);
  t.is(via.body.toString(), 'boom');
});

test.serial('client abort aborts the upstream request and is not an error', async (t) => {
  const before = up.seen.length;
  await new Promise<void>((resolve) => {
    const req = request(`${proxy.url}/hang`, (res) => {
      res.once('data', () => { req.destroy(); resolve(); });
    });
    req.end();
  });
  const deadline = Date.now() + 5000;
  while (up.seen.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seen = up.seen.slice(before).find((s) => s.url === '/hang');
  t.truthy(seen, 'the app saw its request end');
  t.true(seen!.aborted, 'the app saw the abort');
  await new Promise((r) => setTimeout(r, 100));
  const line = accessLog(proxy).filter((l) => l.route === '/*').at(-1)!;
  t.is(line.client_aborted, true);
  t.is(line.error_type, undefined);
});

test.serial('websocket upgrades are proxied with trace headers', async (t) => {
  const port = await freePort();
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  let upgradeHeaders: Record<string, unknown> = {};
  wss.on('connection', (ws, req) => {
    upgradeHeaders = req.headers;
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
  });
  const wsProxy = await startProxy({ upstream: `http://127.0.0.1:${port}` });
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${wsProxy.port}/gradio_api/stream/ev1`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (m) => resolve(m.toString()));
      ws.on('error', reject);
    });
    ws.close();
    t.is(reply, 'echo:hi');
    t.regex(String(upgradeHeaders.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  } finally {
    await wsProxy.stop();
    wss.close();
  }
});

test('upstream down: 502 with X-Trace-Id and a JSON error', async (t) => {
  const port = await closedPort();
  const down = await startProxy({ upstream: `http://127.0.0.1:${port}` });
  try {
    const res = await raw(`${down.url}/gradio_api/queue/join`, { body: JSON_BODY });
    t.is(res.status, 502);
    t.regex(String(res.headers['x-trace-id']), /^[0-9a-f]{32}$/);
    const body = JSON.parse(res.body.toString());
    t.is(body.error_type, 'upstream_unavailable');
    t.is(body.trace_id, res.headers['x-trace-id']);
    await new Promise((r) => setTimeout(r, 50));
    const line = accessLog(down).at(-1)!;
    t.is(line.status, 502);
    t.is(line.error_type, 'upstream_unavailable');
  } finally {
    await down.stop();
  }
});

test('garbage from a client cannot crash the proxy', async (t) => {
  const { connect } = await import('node:net');
  const sock = connect(proxy.port, '127.0.0.1');
  await new Promise<void>((r) => sock.on('connect', () => r()));
  const reply = await new Promise<string>((resolve) => {
    let out = '';
    sock.on('data', (d) => { out += d.toString(); });
    sock.on('close', () => resolve(out));
    sock.write('\x00\x01GARBAGE / HTTP/9.9\r\n\r\n');
  });
  t.regex(reply, /^HTTP\/1\.1 400/);
  const ok = await raw(`${proxy.url}/json`);
  t.is(ok.status, 200);
});
