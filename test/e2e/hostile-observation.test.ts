// Issue 9, defects 1, 2 and 6: what a client or the app sends must never end the process, lose
// a prediction span, or put client-chosen text into span names, attribute keys or metric labels.
// The app is scripted (a real Gradio would not send most of this); spans are read back from the
// file exporter.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { raw } from '../support/http.js';
import { metricValue, scrape } from '../support/metrics.js';
import { freePort } from '../support/ports.js';
import { CLK_TCK, cpuSecondsOf } from '../support/proc-stat.js';
import { wsFrame } from '../support/ws-frame.js';
import { alive, startProxy, type RunningProxy } from '../support/proxy.js';
import { sha256 } from '../support/upstream.js';

interface FileSpan { name: string; kind?: string; traceId: string; tags?: Record<string, string> }

const DEPTH = 25_000;
const deep = (n: number) => `{"data":[${'['.repeat(n)}${']'.repeat(n)}]}`;
const DEEP_GZIP = gzipSync(Buffer.from(deep(DEPTH)));
const DEEP_PLAIN = Buffer.from(deep(20_000)); // under the 64 KiB fast path

// Bodies of one size, one a JSON value per two bytes (more tokens than any Gradio payload), the
// other one long plain string (a Gradio 3.x inline upload): what observing each costs the proxy.
const DENSE_MIB = 16;
const dense = (mib: number) => Buffer.from(`{"data":[${'0,'.repeat((mib << 19) - 8)}0]}`);
const plainString = (mib: number) => Buffer.from(`{"data":["${'A'.repeat((mib << 20) - 17)}"]}`);
const DENSE_GZIP = gzipSync(dense(2 * DENSE_MIB));
// Client websocket traffic of one size: one-byte text frames, or frames of 64 KiB.
const WS_BYTES = 2 << 20;
const wsTraffic = (frameBytes: number): Buffer => {
  const one = wsFrame(Buffer.alloc(frameBytes, 0x31), { opcode: 1, mask: true });
  return Buffer.concat(Array.from({ length: Math.ceil(WS_BYTES / one.length) }, () => one));
};
const PLAIN_GZIP = gzipSync(plainString(2 * DENSE_MIB));
// Bombs: one long string that deflates about 1000:1 (64 MiB in about 65 KB), as an answer's gzip
// and as one compressed websocket message (RFC 7692: flushed, the 00 00 ff ff tail cut).
const [GZIP_BOMB, WS_BOMB] = (() => {
  const text = Buffer.concat([Buffer.from('{"data":["'), Buffer.alloc(64 << 20, 0x41), Buffer.from('"]}')]);
  const z = deflateRawSync(text, { finishFlush: constants.Z_SYNC_FLUSH });
  return [gzipSync(text), z.subarray(0, z.length - 4)];
})();

function schema(apiNames: readonly string[]) {
  return {
    version: '5.0.0', protocol: 'sse_v3', api_prefix: '/gradio_api',
    components: [{ id: 1, type: 'textbox', props: { label: 'Text' } }],
    dependencies: apiNames.map((api_name, id) => ({ id, api_name, inputs: [1] })),
  };
}
const INFO = { named_endpoints: { '/echo': { parameters: [{ parameter_name: 'text' }] }, '/deep': { parameters: [{ parameter_name: 'text' }] } } };

interface App { server: Server; url: string }

async function startApp(opts: { deepConfig?: boolean } = {}): Promise<App> {
  let events = 0;
  const server = createServer((req, res) => {
    const received = createHash('sha256');
    req.on('data', (c: Buffer) => received.update(c));
    req.on('end', () => {
      const path = new URL(req.url!, 'http://x').pathname;
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (path === '/config') {
        if (opts.deepConfig) return void res.writeHead(200, { 'content-type': 'application/json' }).end(`{"dependencies":[${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}]}`);
        return json(200, schema(['echo', 'deep']));
      }
      if (path === '/gradio_api/info') return json(200, INFO);
      if (path === '/gradio_api/queue/data') {
        // An open stream that never ends on its own.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"msg":"heartbeat"}\n\n');
        return;
      }
      if (path === '/gradio_api/queue/join') return json(200, { event_id: `ev${++events}`, sha256: received.digest('hex') });
      if (path === '/gradio_api/run/bomb') {
        // The same bytes either way; only the control's are not said to be compressed.
        const headers = req.url!.includes('control') ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-encoding': 'gzip' };
        return void res.writeHead(200, headers).end(GZIP_BOMB);
      }
      if (path === '/gradio_api/run/dense') {
        const body = req.url!.includes('control') ? PLAIN_GZIP : DENSE_GZIP;
        return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(body);
      }
      if (path === '/gradio_api/run/deep') {
        if (req.url!.includes('gzip')) return void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(DEEP_GZIP);
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(DEEP_PLAIN);
      }
      if (path === '/gradio_api/call/echo' || path === '/gradio_api/call/v2/echo') return json(200, { event_id: `ev${++events}` });
      const stream = /^\/gradio_api\/call\/(?:v2\/)?echo\/([^/]+)$/.exec(path);
      if (stream) return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: complete\ndata: ["hi"]\n\n');
      if (path === '/gradio_api/call/%E0') return json(200, { ok: true }); // no event_id
      json(404, { detail: 'Not Found' });
    });
  });
  // Gradio 3.x's queue: a websocket on GET /queue/join. This one accepts and reads what comes.
  server.on('upgrade', (req, socket) => {
    socket.on('error', () => undefined);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const extensions = req.headers['x-test-deflate'] ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extensions}\r\n`);
    // The client says how many bytes it sends: its frames do not divide WS_BYTES evenly, and an
    // answer sent at WS_BYTES raced the last frame (a 7-byte frame's bytes still in flight).
    const expected = Number(req.headers['x-test-bytes']);
    let got = 0;
    socket.on('data', (c: Buffer) => {
      const before = got;
      got += c.length;
      // Told how much arrived, in one unmasked text frame, once all of it is in.
      if (before < expected && got >= expected) socket.end(wsFrame(String(got), { opcode: 1 }));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}` };
}

const dir = mkdtempSync(join(tmpdir(), 'hostile-obs-'));
let app: App;
let proxy: RunningProxy;
let spanFile: string;

async function proxyFor(upstream: string, name: string): Promise<{ proxy: RunningProxy; spanFile: string }> {
  const file = join(dir, `${name}.json`);
  const p = await startProxy({
    upstream,
    env: { OTEL_TRACES_EXPORTER: 'file', OTEL_TRACES_SAMPLER: 'always_on' },
    args: ['--span-file', file, '--access-log', 'off'],
  });
  return { proxy: p, spanFile: file };
}

test.before(async () => {
  app = await startApp();
  ({ proxy, spanFile } = await proxyFor(app.url, 'main'));
});
test.after.always(async () => {
  await proxy?.stop();
  app?.server.closeAllConnections();
  app?.server.close();
});

function readSpans(file: string): FileSpan[] {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FileSpan[];
  } catch {
    return [];
  }
}

async function spansOf(file: string, traceId: string, want: (s: FileSpan[]) => boolean, timeoutMs = 10_000): Promise<FileSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = readSpans(file).filter((s) => s.traceId === traceId);
    if (want(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const isPredict = (s: FileSpan) => s.name === 'gradio.predict' || s.name.startsWith('gradio.predict ');

test.serial('defect 1: an invalid percent-encoding in /call/<name>, pipelined behind an open SSE stream, does not end the process', async (t) => {
  const socket = connect(proxy.port, '127.0.0.1');
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const body = '{"data":["hi"]}';
  socket.write('GET /gradio_api/queue/data?session_hash=s1 HTTP/1.1\r\nHost: x\r\n\r\n'
    + `POST /gradio_api/call/%E0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const deadline = Date.now() + 5000;
  while (!Buffer.concat(got).toString().includes('heartbeat') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1500));
  t.true(Buffer.concat(got).toString().includes('data: {"msg":"heartbeat"}'), 'the stream flows');
  t.true(await alive(proxy), `the process is alive: ${proxy.stderr()}`);
  socket.destroy();
});

test.serial('defect 2: 25k-deep JSON in a gzip /run answer: same bytes, process alive, prediction span with parse_error', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  const headers = { 'content-type': 'application/json' };
  const direct = await raw(`${app.url}/gradio_api/run/deep?gzip`, { body, headers });
  const via = await raw(`${proxy.url}/gradio_api/run/deep?gzip`, { body, headers });
  t.is(sha256(via.body), sha256(direct.body));
  await new Promise((r) => setTimeout(r, 300));
  t.true(await alive(proxy), `the process is alive: ${proxy.stderr()}`);
  const spans = await spansOf(spanFile, String(via.headers['x-trace-id']), (s) => s.some(isPredict));
  const predict = spans.find(isPredict);
  t.truthy(predict, 'the prediction span is exported');
  t.is(predict?.tags?.['gradio.parse_error'], 'too_deep');
});

test.serial('defect 2: deep JSON under the fast path: the prediction span is not lost', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  const via = await raw(`${proxy.url}/gradio_api/run/deep`, { body, headers: { 'content-type': 'application/json' } });
  t.is(sha256(via.body), sha256(DEEP_PLAIN));
  const spans = await spansOf(spanFile, String(via.headers['x-trace-id']), (s) => s.some(isPredict));
  const predict = spans.find(isPredict);
  t.truthy(predict, 'the prediction span is exported');
  t.is(predict?.tags?.['gradio.parse_error'], 'too_deep');
});

test.serial('defect 2: a deeply nested /config the proxy fetches itself does not end the process', async (t) => {
  const deepApp = await startApp({ deepConfig: true });
  const { proxy: p } = await proxyFor(deepApp.url, 'deep-config');
  try {
    const body = Buffer.from('{"data":["hi"]}');
    const via = await raw(`${p.url}/gradio_api/run/deep?gzip`, { body, headers: { 'content-type': 'application/json' } });
    t.is(sha256(via.body), sha256(DEEP_GZIP));
    await new Promise((r) => setTimeout(r, 1000));
    t.true(await alive(p), `the process is alive: ${p.stderr()}`);
  } finally {
    await p.stop();
    deepApp.server.closeAllConnections();
    deepApp.server.close();
  }
});

/** CPU ticks (user + system, every thread) the process has used so far. */
const cpuTicks = (pid: number): number => Math.round(cpuSecondsOf(pid) * CLK_TCK);

/** The proxy's CPU for each of `runs`, alternated over two rounds so that a busy machine weighs on both alike. */
async function cpuOf(pid: number, runs: Record<string, () => Promise<void>>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let round = 0; round < 2; round++) {
    for (const [name, run] of Object.entries(runs)) {
      const before = cpuTicks(pid);
      await run();
      // Observation that outlives the answer (a decoder, a tokenizer) is counted too: until the
      // process has been idle for 300 ms (a tick or two of its timers aside).
      let last = cpuTicks(pid);
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 300));
        const now = cpuTicks(pid);
        if (now - last <= 2) break;
        last = now;
      }
      out[name] = (out[name] ?? 0) + cpuTicks(pid) - before;
    }
  }
  return out;
}

test.serial('a request body denser in JSON tokens than any Gradio payload costs about what a plain body of its size does, and is forwarded whole', async (t) => {
  const bodies = { plain: plainString(DENSE_MIB), dense: dense(DENSE_MIB) };
  t.is(bodies.plain.length, bodies.dense.length);
  let denseTrace = '';
  const join = async (name: keyof typeof bodies) => {
    const r = await raw(`${proxy.url}/gradio_api/queue/join`, { body: bodies[name], headers: { 'content-type': 'application/json' } });
    t.is(r.status, 200);
    t.is((JSON.parse(r.body.toString()) as { sha256: string }).sha256, sha256(bodies[name]), `${name}: the app got every byte`);
    if (name === 'dense') denseTrace = String(r.headers['x-trace-id']);
  };
  const cpu = await cpuOf(proxy.child.pid!, { plain: () => join('plain'), dense: () => join('dense') });
  // Tokenized to its end, the dense body cost the proxy 20-50 times the plain one.
  t.log(`CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  t.true(cpu.dense! <= 3 * cpu.plain! + 10, `CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  const spans = await spansOf(spanFile, denseTrace, (s) => s.some((x) => x.kind === 'SERVER'));
  t.is(spans.find((x) => x.kind === 'SERVER')?.tags?.['gradio.parse_error'], 'truncated');
  t.true(await alive(proxy));
});

test.serial('a gzip answer that inflates to a token-dense body is not inflated further than the capture reads', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  const headers = { 'content-type': 'application/json' };
  const run = (which: string) => async () => {
    const r = await raw(`${proxy.url}/gradio_api/run/dense?${which}`, { body, headers });
    t.is(sha256(r.body), sha256(which === 'control' ? PLAIN_GZIP : DENSE_GZIP), `${which}: the same bytes`);
  };
  const cpu = await cpuOf(proxy.child.pid!, { plain: run('control'), dense: run('dense') });
  t.log(`CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  t.true(cpu.dense! <= 3 * cpu.plain! + 10, `CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  t.true(await alive(proxy));
});

/**
 * One client websocket on /queue/join that sends `traffic` and waits for the app to say it got all
 * of it. `deflate`: the app's 101 agrees on permessage-deflate, and the client waits for it before
 * it sends, as a browser does (bytes that come with the handshake are forwarded, not read).
 */
const wsExchange = (t: ExecutionContext, traffic: Buffer, deflate = false) => async () => {
  const socket = connect(proxy.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(`GET /queue/join HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Test-Bytes: ${traffic.length}\r\n${deflate ? 'X-Test-Deflate: 1\r\n' : ''}\r\n`);
  if (deflate) await new Promise((r) => socket.once('data', r));
  socket.write(traffic);
  await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
  const answer = Buffer.concat(got).toString('latin1');
  t.true(answer.startsWith('HTTP/1.1 101'), answer.slice(0, 40));
  t.true(answer.endsWith(String(traffic.length)), `the app got every byte (${traffic.length}): ${answer.slice(-12)}`);
};

test.serial('a client websocket of one-byte frames costs about what the same bytes in large frames do', async (t) => {
  const exchange = (traffic: Buffer) => wsExchange(t, traffic);
  const cpu = await cpuOf(proxy.child.pid!, { plain: exchange(wsTraffic(64 << 10)), dense: exchange(wsTraffic(1)) });
  t.log(`CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  t.true(cpu.dense! <= 3 * cpu.plain! + 10, `CPU ticks: dense ${cpu.dense}, plain ${cpu.plain}`);
  t.true(await alive(proxy));
});

// Found while measuring what the fuzzer's websocket cases cost: only a connection's
// 64 MiB budget stopped a compressed message's inflation, and only the capture's wish stopped an
// answer's, which a long string never ends. Both cost 40-700 times the same bytes uncompressed.
test.serial('a compressed websocket message that inflates a thousandfold costs about what the same bytes uncompressed do', async (t) => {
  // Copies: masking writes over the payload it is given (ws's Sender, with readOnly false).
  const plain = wsFrame(Buffer.from(WS_BOMB), { opcode: 1, mask: true });
  const bomb = wsFrame(Buffer.from(WS_BOMB), { opcode: 1, mask: true, rsv1: true });
  const cpu = await cpuOf(proxy.child.pid!, { plain: wsExchange(t, plain, true), dense: wsExchange(t, bomb, true) });
  t.log(`CPU ticks: bomb ${cpu.dense}, plain ${cpu.plain} (${WS_BOMB.length} bytes)`);
  t.true(cpu.dense! <= 3 * cpu.plain! + 10, `CPU ticks: bomb ${cpu.dense}, plain ${cpu.plain}`);
  t.true(await alive(proxy));
});

test.serial('a gzip answer that inflates a thousandfold costs about what the same bytes uncompressed do, and passes whole', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  const run = (which: string) => async () => {
    const r = await raw(`${proxy.url}/gradio_api/run/bomb?${which}`, { body, headers: { 'content-type': 'application/json' } });
    t.is(sha256(r.body), sha256(GZIP_BOMB), `${which}: the same bytes`);
  };
  const cpu = await cpuOf(proxy.child.pid!, { plain: run('control'), dense: run('bomb') });
  t.log(`CPU ticks: bomb ${cpu.dense}, plain ${cpu.plain} (${GZIP_BOMB.length} bytes)`);
  t.true(cpu.dense! <= 3 * cpu.plain! + 10, `CPU ticks: bomb ${cpu.dense}, plain ${cpu.plain}`);
  t.true(await alive(proxy));
});

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test.serial('defect 6: control characters in /call/<name> or in header values reach no span name or attribute', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  // Header values may carry a tab, and latin1 bytes 0x80-0x9f decode to C1 controls.
  const headers = { 'content-type': 'application/json', 'user-agent': 'ua\u0085x\ty', 'x-forwarded-host': 'h\u009bx', 'x-forwarded-proto': 'ht\u0090tp' };
  const via = await raw(`${proxy.url}/gradio_api/call/ab%0A%1B%E2%80%AEc%00`, { body, headers });
  t.is(via.status, 404);
  const spans = await spansOf(spanFile, String(via.headers['x-trace-id']), (s) => s.some(isPredict) && s.some((x) => x.kind === 'SERVER'));
  const predict = spans.find(isPredict);
  t.truthy(predict);
  t.is(predict?.tags?.['gradio.api_name'], 'other');
  for (const s of spans) {
    t.false(CONTROL.test(s.name), `span name ${JSON.stringify(s.name)}`);
    for (const [k, v] of Object.entries(s.tags ?? {})) t.false(CONTROL.test(k) || CONTROL.test(v), `${k}=${JSON.stringify(v)}`);
  }
});

test.serial('defect 6: made-up names cannot spend the label cap; their 404 is not session_not_found', async (t) => {
  const body = Buffer.from('{"data":["hi"]}');
  const headers = { 'content-type': 'application/json' };
  let last = '';
  for (let i = 0; i < 110; i++) {
    const r = await raw(`${proxy.url}/gradio_api/call/made_up_${i}`, { body, headers });
    t.is(r.status, 404);
    last = String(r.headers['x-trace-id']);
  }
  const spans = await spansOf(spanFile, last, (s) => s.some(isPredict));
  const predict = spans.find(isPredict);
  t.truthy(predict);
  t.not(predict?.tags?.['error.type'], 'session_not_found');
  t.is(predict?.tags?.['error.type'], 'api_not_found');

  const submit = await raw(`${proxy.url}/gradio_api/call/echo`, { body, headers });
  const eventId = (JSON.parse(submit.body.toString()) as { event_id: string }).event_id;
  const done = await raw(`${proxy.url}/gradio_api/call/echo/${eventId}`);
  t.true(done.body.toString().includes('complete'));
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await scrape(proxy.adminUrl);
    if (metricValue(text, 'tts_prediction_duration_seconds_count', { gradio_api_name: '/echo' }) > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.true(metricValue(text, 'tts_prediction_duration_seconds_count', { gradio_api_name: '/echo' }) > 0, 'the real endpoint keeps its label');
  t.false(/gradio_api_name="\/made_up_/.test(text), 'made-up names are not labels');
});

test.serial('defect 6: /call/v2 body keys never become attribute names', async (t) => {
  const body = Buffer.from(JSON.stringify({ text: 'hi', 'evil\u0007key': 'x', zzz_made_up: 1 }));
  const via = await raw(`${proxy.url}/gradio_api/call/v2/echo`, { body, headers: { 'content-type': 'application/json' } });
  t.is(via.status, 200);
  const eventId = (JSON.parse(via.body.toString()) as { event_id: string }).event_id;
  await raw(`${proxy.url}/gradio_api/call/v2/echo/${eventId}`);
  const spans = await spansOf(spanFile, String(via.headers['x-trace-id']), (s) => s.some(isPredict));
  const tags = spans.find(isPredict)?.tags ?? {};
  t.is(tags['gradio.input.text.length'], '2', JSON.stringify(tags));
  t.deepEqual(Object.keys(tags).filter((k) => /evil|zzz/.test(k)), []);
});
