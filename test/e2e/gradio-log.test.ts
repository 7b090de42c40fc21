// gr.Warning and gr.Info reach Zipkin told apart (issue 11, defect 2): a `gradio.log` span event
// carries `gradio.log.level`, and the Zipkin annotation keeps it (`name|{attributes}|dropped`, the
// OpenTelemetry Collector's encoding); before, both were the bare name `gradio.log`. Real Gradio
// (CosyVoice's example web UI, which warns and informs as CosyVoice does), @gradio/client, Zipkin.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFT, ZERO_SHOT, makeWav, predictWithJsClient, startCosyVoiceExample, type RunningCosyVoice } from '../support/cosyvoice.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

let dir: string;
let app: RunningCosyVoice;
let proxy: RunningProxy;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tts-gradio-log-'));
  app = await startCosyVoiceExample({ env: { EXAMPLE_DELAY_S: '0' } });
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The gradio.log annotations of the prediction a JS-client run made, as [level, ...]. */
async function logLevels(input: Parameters<typeof predictWithJsClient>[1]): Promise<string[]> {
  const before = accessLog(proxy).length;
  const r = await predictWithJsClient(proxy.url, input);
  if (!r.ok) throw new Error(`prediction failed: ${r.error}`);
  const join = accessLog(proxy).slice(before).find((l) => /\/queue\/join$/.test(String(l.route)));
  const spans: ZipkinSpan[] = await getTrace(String(join!.trace_id), { minSpans: 5 });
  const predict = spans.find((s) => /^gradio\.predict/.test(s.name ?? ''))!;
  return (predict.annotations ?? []).filter((a) => a.value.startsWith('gradio.log')).map((a) => {
    const m = /^gradio\.log\|(\{.*\})\|(\d+)$/.exec(a.value);
    if (!m) throw new Error(`annotation without attributes: ${a.value}`);
    return String((JSON.parse(m[1]!) as Record<string, unknown>)['gradio.log.level']).toLowerCase();
  });
}

test.serial('a gr.Warning is a gradio.log annotation with level warning, a gr.Info one with level info', async (t) => {
  const wavPath = join(dir, 'prompt.wav');
  await makeWav(wavPath, 2, 16000);
  // Zero-shot without prompt text: CosyVoice warns ("prompt文本为空…") and goes on.
  t.deepEqual(await logLevels({ text: 'Hello there.', promptWav: wavPath, promptText: '', mode: ZERO_SHOT }), ['warning']);
  // Pretrained voice with prompt text: CosyVoice informs that the prompt is ignored.
  t.deepEqual(await logLevels({ text: 'Hello there.', promptWav: wavPath, promptText: 'ignored', mode: SFT }), ['info']);
});
