// Gradio 4.0–4.8 speak the first SSE protocol ("sse"): the prediction's event stream is the
// GET queue/join itself, and its inputs arrive separately on POST queue/data. Against a real
// Gradio 4.7.1 and its own gradio_client: still one trace per prediction, named and described.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));
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
