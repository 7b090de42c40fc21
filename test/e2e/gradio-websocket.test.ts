// Gradio 3.x queued predictions run over a websocket (GET /queue/join upgraded), which the proxy
// forwards byte for byte; it now also reads the frames as they pass (issue 11, item 7): one trace
// per prediction with gradio.predict, gradio.queue and gradio.process, as on 4.x-6.x. Real Gradio
// 3.50.2 (its server negotiates permessage-deflate, so the frames are compressed), driven by its
// own gradio_client and by headless Chromium on its web UI.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { echoInPage, withPage } from '../support/browser.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

let app: RunningGradioApp;
let proxy: RunningProxy;
test.before(async () => {
  app = await startGradioApp(ECHO_APP, { version: '3.50.2' });
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await app?.stop();
});

/** The trace of each websocket join the proxy saw after `before` access-log lines. */
async function websocketTraces(before: number, count: number): Promise<ZipkinSpan[][]> {
  let joins: Record<string, unknown>[] = [];
  for (let i = 0; i < 50 && joins.length < count; i++) {
    joins = accessLog(proxy).slice(before).filter((l) => l.route === '/queue/join' && l.method === 'GET' && l.status === 101);
    if (joins.length < count) await new Promise((r) => setTimeout(r, 100));
  }
  return Promise.all(joins.map((j) => getTrace(String(j.trace_id), { minSpans: 5 })));
}

function checkPrediction(t: import('ava').ExecutionContext, spans: ZipkinSpan[], api: string, chunks: number): Record<string, string> {
  const server = spans.find((s) => s.kind === 'SERVER')!;
  t.is(server.name, 'get /queue/join');
  const predict = spans.find((s) => s.name === `gradio.predict ${api}`);
  t.truthy(predict, JSON.stringify(spans.map((s) => s.name)));
  t.is(predict!.parentId, server.id);
  for (const child of ['gradio.queue', 'gradio.process']) t.is(spans.find((s) => s.name === child)?.parentId, predict!.id, child);
  const tags = predict!.tags ?? {};
  t.is(tags['gradio.transport'], 'websocket');
  t.is(tags['gradio.version'], '3.50.2');
  t.is(tags['gradio.end_reason'], 'completed');
  t.is(tags['gradio.output.chunks'], String(chunks));
  return tags;
}

test.serial('gradio_client 0.6 (Gradio 3.50.2): a queued prediction and a generator are one trace each, inputs described', async (t) => {
  const before = accessLog(proxy).length;
  const script = [
    'import sys', 'from gradio_client import Client', 'c = Client(sys.argv[1], verbose=False)',
    'print(c.predict("Grüße", api_name="/echo"))', 'print(c.predict("abc", api_name="/slow_count"))',
  ].join('\n');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(app.python, ['-c', script, `${proxy.url}/`], { timeout: 90_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  t.deepEqual(out.trim().split('\n'), ["('eßürG', 5.0)", 'abc 2']);
  const traces = await websocketTraces(before, 2);
  t.is(traces.length, 2);
  const echo = traces.find((s) => s.some((x) => x.name === 'gradio.predict /echo'))!;
  const count = traces.find((s) => s.some((x) => x.name === 'gradio.predict /slow_count'))!;
  const tags = checkPrediction(t, echo, '/echo', 1);
  t.is(tags['gradio.input.text.length'], '5');
  t.is(tags['gradio.fn_index'], '0');
  t.truthy(tags['gradio.session'], 'the session, as an HMAC');
  checkPrediction(t, count, '/slow_count', 3);
});

test.serial('Chromium on the 3.50.2 web UI: clicking "echo" gives one trace with the prediction', async (t) => {
  const before = accessLog(proxy).length;
  await withPage(`${proxy.url}/`, (page) => echoInPage(page, 'browser'));
  const [spans] = await websocketTraces(before, 1);
  t.truthy(spans);
  const tags = checkPrediction(t, spans!, '/echo', 1);
  t.is(tags['gradio.input.text.length'], '7');
});
