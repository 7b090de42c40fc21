// One trace per Gradio prediction, against a real Gradio 6.x (issue #3): the join's SERVER span
// → gradio.predict → gradio.queue + gradio.process, for every transport the clients use.
import { Client } from '@gradio/client';
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { documentedKey } from '../support/schema.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

let app: RunningGradioApp;
let proxy: RunningProxy;

test.before(async () => {
  app = await startGradioApp(ECHO_APP);
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await app?.stop();
});

/** Trace ids of the proxy's requests on `route` since `mark` log lines. */
function tracesOf(route: string, mark: number): string[] {
  return accessLog(proxy).slice(mark).filter((l) => l.route === route).map((l) => String(l.trace_id));
}

function byName(spans: ZipkinSpan[], name: string, kind?: ZipkinSpan['kind']): ZipkinSpan {
  const s = spans.filter((x) => x.name === name && (!kind || x.kind === kind));
  if (s.length !== 1) throw new Error(`expected one ${name}: ${JSON.stringify(spans.map((x) => x.name))}`);
  return s[0]!;
}

const exported: ZipkinSpan[] = [];

async function predictionTrace(traceId: string, expected: number): Promise<ZipkinSpan[]> {
  const spans = await getTrace(traceId, { minSpans: expected, timeoutMs: 20_000, settleMs: 800 });
  exported.push(...spans);
  return spans;
}

test.serial('queue/join → queue/data: one trace with predict, queue and process spans', async (t) => {
  const mark = accessLog(proxy).length;
  const client = await Client.connect(proxy.url);
  const text = 'Hello 世界, trace me';
  const r = await client.predict('/echo', { text });
  t.deepEqual(r.data, [[...text].reverse().join(''), [...text].length]);
  client.close?.();
  await new Promise((res) => setTimeout(res, 300));
  const [traceId] = tracesOf('/gradio_api/queue/join', mark);
  const spans = await predictionTrace(traceId!, 5);
  t.is(spans.length, 5, JSON.stringify(spans.map((s) => s.name)));
  const server = byName(spans, 'post /gradio_api/queue/join', 'SERVER');
  const predict = byName(spans, 'gradio.predict /echo');
  const queue = byName(spans, 'gradio.queue');
  const process = byName(spans, 'gradio.process');
  t.is(predict.parentId, server.id);
  t.is(queue.parentId, predict.id);
  t.is(process.parentId, predict.id);
  t.true(queue.timestamp! <= process.timestamp!, 'queue phase precedes processing');
  t.true(predict.timestamp! + predict.duration! >= process.timestamp! + process.duration! - 1);
  const tags = predict.tags!;
  t.is(tags['gradio.api_name'], '/echo');
  t.is(tags['gradio.version'], '6.31.0');
  t.is(tags['gradio.protocol'], 'sse_v3');
  t.is(tags['gradio.transport'], 'queue');
  t.is(tags['gradio.input.text.length'], String([...text].length));
  t.is(tags['gradio.input.text.script'], 'latin');
  t.is(tags['gradio.end_reason'], 'completed');
  t.regex(tags['gradio.session']!, /^[0-9a-f]{16}$/);
  t.regex(tags['gradio.event_id']!, /^[0-9a-f]{32}$/);
  t.truthy(tags['tts.time_to_first_chunk_ms']);
  // With its attributes (rank, queue size), as the Collector encodes them: `name|{json}|dropped`.
  t.truthy(predict.annotations?.some((a) => /^gradio\.estimation\|\{.*"gradio\.queue\.rank":\d+.*\}\|0$/.test(a.value)), JSON.stringify(predict.annotations));
  t.false('error' in tags);
});

test.serial('a generator: chunks counted, time to first chunk before completion', async (t) => {
  const mark = accessLog(proxy).length;
  const client = await Client.connect(proxy.url);
  for await (const _ of client.submit('/slow_count', { text: 'x' })) { /* drain */ }
  client.close?.();
  await new Promise((res) => setTimeout(res, 300));
  const spans = await predictionTrace(tracesOf('/gradio_api/queue/join', mark)[0]!, 5);
  const predict = byName(spans, 'gradio.predict /slow_count');
  // Gradio 6 sends every yield as process_generating (the last one again in process_completed).
  t.true(Number(predict.tags!['gradio.output.chunks']) >= 2, predict.tags!['gradio.output.chunks']);
  const ttfc = Number(predict.tags!['tts.time_to_first_chunk_ms']);
  t.true(ttfc >= 250 && ttfc < predict.duration! / 1000, `ttfc ${ttfc} ms within a ${predict.duration! / 1000} ms prediction`);
  t.truthy(predict.annotations?.some((a) => a.value === 'gradio.first_chunk'));
});

test.serial('gr.Error: gradio.predict is an ERROR with error.type=app_error', async (t) => {
  const mark = accessLog(proxy).length;
  const client = await Client.connect(proxy.url);
  await t.throwsAsync(client.predict('/fail', { text: 'x' }));
  client.close?.();
  await new Promise((res) => setTimeout(res, 300));
  const spans = await predictionTrace(tracesOf('/gradio_api/queue/join', mark)[0]!, 5);
  const predict = byName(spans, 'gradio.predict /fail');
  t.is(predict.tags!['error.type'], 'app_error');
  t.is(predict.tags!['otel.status_code'], 'ERROR');
  t.false(JSON.stringify(spans).includes('always fails'), 'the error text itself is not exported');
});

test.serial('/call two-step (curl style): POST then GET stream, one trace', async (t) => {
  const mark = accessLog(proxy).length;
  const post = await fetch(`${proxy.url}/gradio_api/call/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: ['two step'] }) });
  const { event_id: eventId } = await post.json() as { event_id: string };
  const stream = await (await fetch(`${proxy.url}/gradio_api/call/echo/${eventId}`)).text();
  t.regex(stream, /event: complete/);
  await new Promise((res) => setTimeout(res, 300));
  const spans = await predictionTrace(tracesOf('/gradio_api/call/{api_name}', mark)[0]!, 3);
  const predict = byName(spans, 'gradio.predict /echo');
  t.is(predict.tags!['gradio.transport'], 'call');
  t.is(predict.tags!['gradio.event_id'], eventId);
  t.is(predict.tags!['gradio.input.text.length'], '8');
  t.is(predict.tags!['gradio.end_reason'], 'completed');
});

test.serial('a non-queued function (direct POST): one complete span inside the request', async (t) => {
  const mark = accessLog(proxy).length;
  const client = await Client.connect(proxy.url);
  const r = await client.predict('/direct', { text: 'abc' });
  t.deepEqual(r.data, ['ABC']);
  client.close?.();
  await new Promise((res) => setTimeout(res, 300));
  const traceId = tracesOf('/gradio_api/run/{api_name}', mark)[0]!;
  const spans = await predictionTrace(traceId, 3);
  const server = byName(spans, 'post /gradio_api/run/{api_name}', 'SERVER');
  const predict = byName(spans, 'gradio.predict /direct');
  t.is(predict.parentId, server.id);
  t.is(predict.tags!['gradio.transport'], 'direct');
  t.true(predict.timestamp! >= server.timestamp! && predict.timestamp! + predict.duration! <= server.timestamp! + server.duration! + 1000,
    JSON.stringify({ server: [server.timestamp, server.duration], predict: [predict.timestamp, predict.duration], tags: predict.tags }));
});

test.serial('the proxy learns the schema from /config as it passes', async (t) => {
  const r = await fetch(`${proxy.url}/config`);
  const config = await r.json() as { version: string };
  t.is(config.version, '6.31.0');
  const spans = await getTrace(String(r.headers.get('x-trace-id')), { minSpans: 2 });
  t.is(spans.find((s) => s.kind === 'SERVER')!.tags!['gradio.version'], '6.31.0');
});

test.serial('every tag key exported in these traces is in docs/tracing-schema.md', (t) => {
  const isDocumented = documentedKey();
  const keys = new Set(exported.flatMap((s) => Object.keys(s.tags ?? {})));
  t.true(keys.size > 20, `${keys.size} keys seen`);
  t.deepEqual([...keys].filter((k) => !isDocumented(k)), []);
});

test.serial('input rules: annotate by default; gate mode answers 422 with X-Trace-Id', async (t) => {
  const long = 'this text is longer than twenty characters';
  // Annotate only: the prediction runs and says which rule it broke.
  const annotating = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl(), args: ['--rule-max-text', '20'] });
  try {
    const client = await Client.connect(annotating.url);
    const r = await client.predict('/echo', { text: long });
    t.is((r.data as unknown[])[1], long.length);
    client.close?.();
    await new Promise((res) => setTimeout(res, 300));
    const join = accessLog(annotating).find((l) => l.route === '/gradio_api/queue/join')!;
    const spans = await predictionTrace(String(join.trace_id), 5);
    const predict = byName(spans, 'gradio.predict /echo');
    t.is(predict.tags!['tts.rule.violations'], 'invalid_text_length');
    t.false('error.type' in predict.tags!, 'annotated, not failed');
  } finally {
    await annotating.stop();
  }
  // Gate mode: the submission never reaches the app.
  const gated = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl(), args: ['--rule-max-text', '20', '--gate', 'true'] });
  try {
    const res = await fetch(`${gated.url}/gradio_api/call/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [long] }) });
    t.is(res.status, 422);
    const body = await res.json() as { error_type: string; trace_id: string; error: string };
    t.is(body.error_type, 'invalid_text_length');
    t.is(body.trace_id, res.headers.get('x-trace-id') ?? '');
    t.regex(body.error, /invalid_text_length \(42 > 20\)/);
    const spans = await getTrace(body.trace_id, { minSpans: 2 });
    t.is(spans.find((s) => s.kind === 'SERVER')!.tags!['error.type'], 'invalid_text_length');
    // Within the rules, the held body is forwarded byte for byte and the prediction works.
    const ok = await fetch(`${gated.url}/gradio_api/call/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: ['short'] }) });
    const { event_id: eventId } = await ok.json() as { event_id: string };
    t.regex(await (await fetch(`${gated.url}/gradio_api/call/echo/${eventId}`)).text(), /event: complete\ndata: \["trohs", 5\]/);
  } finally {
    await gated.stop();
  }
});

test.serial('a prediction still open when the proxy stops is recorded, ending "shutdown"', async (t) => {
  const p = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl(), env: { OTEL_BSP_SCHEDULE_DELAY: '600000' } });
  const post = await fetch(`${p.url}/gradio_api/call/slow_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: ['never read'] }) });
  const traceId = String(post.headers.get('x-trace-id'));
  await post.json();
  await new Promise((r) => setTimeout(r, 300));
  t.is(await p.stop('SIGTERM'), 0);
  const spans = await getTrace(traceId, { minSpans: 3 });
  t.is(byName(spans, 'gradio.predict /slow_count').tags!['gradio.end_reason'], 'shutdown');
});
