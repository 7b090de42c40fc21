// Old Gradio generations, for real, each driven by its own gradio_client:
// - 4.0–4.8 speak the first SSE protocol ("sse"): the prediction's event stream is the GET
//   queue/join itself, and its inputs arrive separately on POST queue/data (Gradio 4.7.1);
// - 3.x without a queue: a plain POST predict with the audio inline as base64 (Gradio 3.50.2).
// Each must still be one trace per prediction, named and described.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';
import { makeWav } from '../support/audio.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));
const LEGACY3_APP = fileURLToPath(new URL('../../../test/apps/legacy3_app.py', import.meta.url));
const DRIVER = fileURLToPath(new URL('../../../test/support/gradio_echo_predict.py', import.meta.url));
const TEXT = 'Grüße aus 4.7 ✓';

let app: RunningGradioApp;
let proxy: RunningProxy;

test.before(async () => {
  app = await startGradioApp(ECHO_APP, { version: '4.7.1' });
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await app?.stop();
});

test('Gradio 4.7.1 (protocol "sse"): one trace per prediction through the proxy', async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(app.python, [DRIVER, `${proxy.url}/`, TEXT], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as { echo: [string, number]; slow_count: string };
  t.deepEqual(result.echo, [[...TEXT].reverse().join(''), [...TEXT].length]);
  t.is(result.slow_count, 'n 2');
  await new Promise((r) => setTimeout(r, 500));
  const lines = accessLog(proxy);
  t.deepEqual(lines.filter((l) => l.route === '/queue/join').map((l) => l.method), ['GET', 'GET']);
  t.deepEqual(lines.filter((l) => l.route === '/queue/data').map((l) => `${l.method} ${l.status}`), ['POST 200', 'POST 200']);
  const [echoJoin, countJoin] = lines.filter((l) => l.route === '/queue/join');
  const one = (spans: ZipkinSpan[], name: string) => {
    const s = spans.filter((x) => x.name === name);
    t.is(s.length, 1, `${name} in ${JSON.stringify(spans.map((x) => x.name))}`);
    return s[0]!;
  };
  const echo = await getTrace(String(echoJoin!.trace_id), { minSpans: 5 });
  const server = echo.find((s) => s.kind === 'SERVER')!;
  const predict = one(echo, 'gradio.predict /echo');
  t.is(predict.parentId, server.id);
  t.is(one(echo, 'gradio.queue').parentId, predict.id);
  t.is(one(echo, 'gradio.process').parentId, predict.id);
  t.is(predict.tags!['gradio.transport'], 'sse_v0');
  t.is(predict.tags!['gradio.protocol'], 'sse');
  t.is(predict.tags!['gradio.version'], '4.7.1');
  t.is(predict.tags!['gradio.input.text.length'], String([...TEXT].length), 'named from the label: 4.7 has no parameter names');
  t.is(predict.tags!['gradio.end_reason'], 'completed');
  const count = await getTrace(String(countJoin!.trace_id), { minSpans: 5 });
  const cp = one(count, 'gradio.predict /slow_count');
  t.true(Number(cp.tags!['gradio.output.chunks']) >= 2);
  t.true(Number(cp.tags!['tts.time_to_first_chunk_ms']) >= 250);
});

test('Gradio 3.50.2 without a queue: a legacy predict is one complete span, base64 prompt audio described', async (t) => {
  const legacy = await startGradioApp(LEGACY3_APP, { version: '3.50.2' });
  const p = await startProxy({ upstream: legacy.url, zipkinUrl: await zipkinUrl() });
  try {
    const wavPath = join(mkdtempSync(join(tmpdir(), 'g3-')), 'prompt.wav');
    writeFileSync(wavPath, makeWav({ seconds: 3.5, rate: 16000 }));
    const script = 'import sys\nfrom gradio_client import Client\nprint(Client(sys.argv[1], verbose=False).predict(sys.argv[2], sys.argv[3], api_name="/predict"))';
    const out = await new Promise<string>((resolve, reject) => {
      execFile(legacy.python, ['-c', script, `${p.url}/`, TEXT, wavPath], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    t.is(out.trim(), `${[...TEXT].length}|${makeWav({ seconds: 3.5, rate: 16000 }).length}`);
    await new Promise((r) => setTimeout(r, 500));
    const post = accessLog(p).find((l) => l.method === 'POST' && /^\/(api|run)\/\{api_name\}$/.test(String(l.route)));
    t.truthy(post, JSON.stringify(accessLog(p).map((l) => l.route)));
    const spans = await getTrace(String(post!.trace_id), { minSpans: 3 });
    const predict = spans.find((s) => s.name === 'gradio.predict /predict')!;
    t.is(predict.parentId, spans.find((s) => s.kind === 'SERVER')!.id);
    const tags = predict.tags!;
    t.is(tags['gradio.version'], '3.50.2');
    t.is(tags['gradio.transport'], 'direct');
    t.is(tags['gradio.end_reason'], 'completed');
    t.is(tags['gradio.input.text.length'], String([...TEXT].length));
    t.is(tags['audio.input.duration_s'], '3.5', 'from the base64 head and the string length');
    t.is(tags['audio.input.sample_rate'], '16000');
  } finally {
    await p.stop();
    await legacy.stop();
  }
});
