// Privacy is a feature (issue #3): a known text (Chinese and Latin), its base64, the prompt
// audio's base64, the uploaded file's original name and the raw session_hash go through the
// whole stack (the shipped nginx front, the proxy, real Gradio, both official clients) and appear
// nowhere in Zipkin's stored spans, the proxy's logs, its /metrics or nginx's access and error
// logs (issue 11, defect 4: nginx logged $uri, with file names and upload-directory hashes).
// Also: a full queue is reported as queue_full.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SPEAKER, SFT, ZERO_SHOT, makeWav, predictWithJsClient, predictWithPythonClient, startCosyVoiceExample,
  type RunningCosyVoice,
} from '../support/cosyvoice.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { findTraces, getTrace, zipkinUrl } from '../support/zipkin.js';

const marker = randomBytes(4).toString('hex');
const TEXT = `秘密文本${marker}。Private sentence ${marker} about Zhang Wei's voice.`;
const PROMPT_TEXT = `提示词${marker} prompt words`;
const FILE_STEM = `zhang_wei_private_recording_${marker}`;

let dir: string;
let app: RunningCosyVoice;
let proxy: RunningProxy;
let nginx: RunningNginx;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tts-privacy-'));
  app = await startCosyVoiceExample({ env: { EXAMPLE_DELAY_S: '0' } });
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl(), env: { OTEL_SERVICE_NAME: `privacy-${marker}` } });
  nginx = await startNginx({ proxyPort: proxy.port });
});
test.after.always(async () => {
  await nginx?.stop();
  await proxy?.stop();
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('no text, audio, file name or session hash leaves the proxy', async (t) => {
  const wavPath = join(dir, `${FILE_STEM}.wav`);
  await makeWav(wavPath, 3.5, 16000);
  const wav = await readFile(wavPath);
  const input = { text: TEXT, promptWav: wavPath, promptText: PROMPT_TEXT, mode: ZERO_SHOT };
  const js = await predictWithJsClient(nginx.url, input);
  const py = await predictWithPythonClient(nginx.url, { ...input, python: app.python });
  t.true(js.ok, js.error);
  t.true(py.outputs.length > 0);
  const sessions = [js, py].map((p) => (p.requests.find((r) => /\/queue\/join/.test(r.path))?.body as { session_hash?: string } | undefined)?.session_hash);
  t.true(sessions.every((s) => typeof s === 'string' && s.length >= 8), JSON.stringify(sessions));

  const b64 = wav.toString('base64');
  const secrets: Record<string, string> = {
    text: TEXT, 'text (chinese part)': `秘密文本${marker}`, 'text (latin part)': `Private sentence ${marker}`,
    'text base64': Buffer.from(TEXT).toString('base64'), 'prompt text': PROMPT_TEXT,
    'prompt audio base64': b64.slice(2000, 2080), 'prompt audio base64 (header)': b64.slice(0, 60),
    'file name': FILE_STEM, 'session hash (js)': sessions[0]!, 'session hash (python)': sessions[1]!,
  };

  // Everything the proxy exported: every trace of its service in Zipkin.
  await new Promise((r) => setTimeout(r, 1500));
  const joins = accessLog(proxy).filter((l) => l.route === '/gradio_api/queue/join');
  t.is(joins.length, 2);
  for (const j of joins) await getTrace(String(j.trace_id), { minSpans: 5 });
  const traces = await findTraces({ serviceName: `privacy-${marker}`, lookbackMs: 15 * 60_000, limit: 10_000 });
  const stored = JSON.stringify(traces);
  t.true(traces.length >= 8, `${traces.length} traces stored (config, info, upload, join, data, …)`);
  t.true(stored.includes('"audio.input.duration_s":"3.5"'), 'the metadata is there');
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const logs = proxy.stdout() + proxy.stderr();
  t.true(logs.length > 1000, 'the proxy logged every request');
  const nginxLines = nginx.accessLogLines();
  const nginxLogs = nginxLines.join('\n') + readFileSync(join(nginx.runtimeDir, 'error.log'), 'utf8');
  t.true(nginxLines.length >= 8, 'nginx logged every request');
  for (const [what, secret] of Object.entries(secrets)) {
    t.false(stored.includes(secret), `${what} in Zipkin`);
    t.false(logs.includes(secret), `${what} in the proxy logs`);
    t.false(metrics.includes(secret), `${what} in /metrics`);
    t.false(nginxLogs.includes(secret), `${what} in nginx's logs`);
  }
  // The clients fetched their streamed outputs from /stream/<session_hash>/...: nginx logs the template.
  t.true(nginxLines.some((l) => l.includes('/stream/{session_hash}/')), `an output was fetched through nginx: ${nginxLines.map((l) => JSON.parse(l).route).join(' ')}`);
  t.false(/\/(stream|heartbeat)\/(?!\{)|file=(?!\{path\})/.test(nginxLogs), 'a session hash or file path in nginx\'s logs');
  // Percent- or JSON-escaped forms of the text would slip past a plain search.
  for (const form of [encodeURIComponent(TEXT), JSON.stringify(TEXT).slice(1, -1)]) {
    t.false(stored.includes(form) || logs.includes(form) || nginxLogs.includes(form));
  }
});

test.serial('a full queue (max_size=4) is reported as queue_full on gradio.predict', async (t) => {
  // The example sleeps per request here; 2 run and 4 wait, the rest are refused with 503.
  const slow = await startCosyVoiceExample({ env: { EXAMPLE_DELAY_S: '3' } });
  const p = await startProxy({ upstream: slow.url, zipkinUrl: await zipkinUrl() });
  try {
    const join = (i: number) => fetch(`${p.url}/gradio_api/queue/join`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: ['Hello.', SFT, DEFAULT_SPEAKER, '', null, null, '', 0, false, 1], fn_index: 1, session_hash: `full${marker}${i}` }),
    }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 9 }, (_, i) => join(i)));
    t.true(statuses.includes(503), JSON.stringify(statuses));
    await new Promise((r) => setTimeout(r, 500));
    const refused = accessLog(p).filter((l) => l.route === '/gradio_api/queue/join' && l.status === 503);
    t.is(refused.length, statuses.filter((s) => s === 503).length);
    const spans = await getTrace(String(refused[0]!.trace_id), { minSpans: 3 });
    const predict = spans.find((s) => s.name === 'gradio.predict /generate_audio');
    t.is(predict?.tags?.['error.type'], 'queue_full');
    t.is(predict?.tags?.['gradio.end_reason'], 'failed');
    t.is(spans.find((s) => s.kind === 'SERVER')?.tags?.['error.type'], 'queue_full');
    // Nothing was queued (issue 11, defect 5): a gradio.queue child would skew queue-wait percentiles.
    // (An accepted join keeps its queue phase: gradio-predict.test.ts.)
    t.deepEqual(spans.filter((s) => s.name === 'gradio.queue').length, 0);
  } finally {
    await p.stop();
    await slow.stop();
  }
});
