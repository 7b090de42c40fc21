// Bad input and bounded memory (issue #3): whatever the client or app sends, the bytes flow
// unchanged, the span says what could not be parsed, memory stays within the caps, nothing
// crashes. The app here is scripted (a real Gradio would refuse to send most of this).
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import { makeWav } from '../support/audio.js';
import { raw } from '../support/http.js';
import { freePort } from '../support/ports.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { sha256 } from '../support/upstream.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

const SSE_BODIES: Record<string, string> = {
  truncated: 'data: {"msg":"estimation","event_id":"e1","rank":0}\n\ndata: {"msg":"process_comp',
  unknown: 'data: {"msg":"something_new_in_gradio_9","event_id":"e1"}\n\ndata: {"msg":"close_stream","event_id":null}\n\n',
  invalid: 'data: {not json at all\n\ndata: [1,2,3]\n\n',
};

let app: Server;
let appUrl: string;
let proxy: RunningProxy;
let joins = 0;

test.before(async () => {
  app = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/gradio_api/queue/data') {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        res.end(SSE_BODIES[url.searchParams.get('kind') ?? 'truncated']);
        return;
      }
      if (url.pathname === '/gradio_api/queue/join') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ event_id: `${++joins}`.padStart(32, '0'), sha256: hash.digest('hex') }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([`/tmp/gradio/${hash.digest('hex')}/upload.bin`]));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => app.listen(port, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${port}`;
  proxy = await startProxy({ upstream: appUrl, zipkinUrl: await zipkinUrl(), args: ['--max-predictions', '1000'] });
});
test.after.always(async () => {
  await proxy?.stop();
  app?.closeAllConnections();
  app?.close();
});

async function serverTags(traceId: string): Promise<Record<string, string>> {
  const spans = await getTrace(traceId, { minSpans: 2 });
  return spans.find((s) => s.kind === 'SERVER')!.tags ?? {};
}

for (const kind of Object.keys(SSE_BODIES)) {
  test.serial(`queue/data with ${kind} SSE: same bytes, parse error on the span`, async (t) => {
    const direct = await raw(`${appUrl}/gradio_api/queue/data?session_hash=s&kind=${kind}`);
    const via = await raw(`${proxy.url}/gradio_api/queue/data?session_hash=s&kind=${kind}`);
    t.is(sha256(via.body), sha256(direct.body));
    const tags = await serverTags(String(via.headers['x-trace-id']));
    if (kind === 'truncated') t.is(tags['gradio.sse.messages'], '1', 'the complete message is read; the cut-off one fails to parse');
    t.truthy(tags['gradio.parse_error'], JSON.stringify(tags));
  });
}

test.serial('malformed join JSON: forwarded unchanged, span says invalid_json', async (t) => {
  const body = Buffer.from('{"data": ["unterminated');
  const via = await raw(`${proxy.url}/gradio_api/queue/join`, { body, headers: { 'content-type': 'application/json' } });
  t.is(JSON.parse(via.body.toString()).sha256, sha256(body));
  t.is((await serverTags(String(via.headers['x-trace-id'])))['gradio.parse_error'], 'invalid_json');
});

test.serial('broken multipart upload: forwarded unchanged, span says invalid_multipart', async (t) => {
  const body = Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="files"; filename="a.wav"\r\n\r\nRIFF....truncated');
  const via = await raw(`${proxy.url}/gradio_api/upload`, { body, headers: { 'content-type': 'multipart/form-data; boundary=XYZ' } });
  t.is(JSON.parse(via.body.toString())[0], `/tmp/gradio/${sha256(body)}/upload.bin`);
  t.is((await serverTags(String(via.headers['x-trace-id'])))['gradio.parse_error'], 'invalid_multipart');
});

test.serial('a WAV whose header lies about its length: duration from the bytes that arrived', async (t) => {
  const wav = makeWav({ seconds: 2, rate: 16000 });
  wav.writeUInt32LE(16000 * 2 * 3600, 40); // claims an hour
  const boundary = 'b0undary';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="x.wav"\r\nContent-Type: audio/wav\r\n\r\n`), wav, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const via = await raw(`${proxy.url}/gradio_api/upload`, { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  const tags = await serverTags(String(via.headers['x-trace-id']));
  t.is(tags['audio.input.duration_s'], '2');
  t.is(tags['audio.input.sample_rate'], '16000');
});

test.serial('a 50 MB upload streams through with bounded parser memory', async (t) => {
  const before = await rss();
  const boundary = 'big' + randomBytes(4).toString('hex');
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const wav = makeWav({ seconds: 1, rate: 16000 });
  const body = new PassThrough();
  const hash = createHash('sha256');
  const pending = raw(`${proxy.url}/gradio_api/upload`, { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  const write = (b: Buffer) => { hash.update(b); return body.write(b); };
  write(head);
  write(wav.subarray(0, 44));
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < 50; i++) if (!write(chunk)) await new Promise((r) => body.once('drain', r));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  hash.update(tail);
  body.end(tail);
  const res = await pending;
  t.is(JSON.parse(res.body.toString())[0], `/tmp/gradio/${hash.digest('hex')}/upload.bin`, 'the app got every byte');
  const grew = (await rss()) - before;
  t.true(grew < 40 * 1024 * 1024, `proxy RSS grew ${Math.round(grew / 1048576)} MiB for a 50 MiB upload`);
  const tags = await serverTags(String(res.headers['x-trace-id']));
  t.is(tags['audio.input.format'], 'wav');
  t.is(tags['audio.input.bytes'], String(44 + 50 * (1 << 20)));
});

test.serial('10,000 distinct sessions: the prediction table stays at its cap, evictions are counted', async (t) => {
  const before = await rss();
  const send = (i: number) => raw(`${proxy.url}/gradio_api/queue/join`, {
    body: Buffer.from(JSON.stringify({ data: ['x'], fn_index: 0, session_hash: `session-${i}` })),
    headers: { 'content-type': 'application/json' },
  });
  for (let i = 0; i < 10_000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => send(i + k)));
  await new Promise((r) => setTimeout(r, 500));
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const evicted = Number(/tts_proxy_table_evictions_total\{table="predictions",reason="capacity"\} (\d+)/.exec(metrics)?.[1]);
  t.true(evicted >= 9000 - 50, `evicted ${evicted}`);
  t.true(Number(/tts_proxy_table_entries\{table="predictions"\} (\d+)/.exec(metrics)?.[1]) <= 1000, 'the table holds at most its cap');
  // A loose bound on the whole process (span export queues, GC lag) against unbounded growth.
  const grew = (await rss()) - before;
  t.true(grew < 200 * 1024 * 1024, `RSS grew ${Math.round(grew / 1048576)} MiB`);
  t.false(metrics.includes('session-1'), 'no raw session hash in metrics');
});

async function rss(): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const status = readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
