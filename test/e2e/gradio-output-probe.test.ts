// The output probe on a real Gradio 4.44.1 (issue 11, defect 1): 4.44.1 answers a range that
// covers a short file with one byte too many in Content-Length and never ends the answer, so a
// typical TTS clip lost its audio.output.* and real-time factor. Outputs of 1 s (under the probe's
// 256 KiB range) and 10 s (over it), each predicted with @gradio/client through the proxy.
import test from 'ava';
import { Client } from '@gradio/client';
import { join } from 'node:path';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { repoRoot } from '../support/proc.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

let app: RunningGradioApp;
let proxy: RunningProxy;
test.before(async () => {
  app = await startGradioApp(join(repoRoot, 'test', 'apps', 'tone_app.py'), { version: '4.44.1' });
  proxy = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await app?.stop();
});

for (const seconds of [1, 10]) {
  test.serial(`Gradio 4.44.1, a ${seconds} s WAV output: audio.output.* and the real-time factor are on gradio.predict`, async (t) => {
    const before = accessLog(proxy).length;
    const client = await Client.connect(proxy.url);
    const result = await client.predict('/tone', [seconds]);
    t.truthy((result.data as { url?: string }[])[0]?.url, 'the app answered with a file');
    const join = accessLog(proxy).slice(before).find((l) => /\/queue\/join$/.test(String(l.route)));
    t.truthy(join, 'the join passed the proxy');
    const spans = await getTrace(String(join!.trace_id), { minSpans: 5 });
    const tags = spans.find((s) => s.name === 'gradio.predict /tone')?.tags ?? {};
    t.is(tags['gradio.version'], '4.44.1');
    t.is(tags['audio.output.format'], 'wav');
    t.is(Number(tags['audio.output.duration_s']), seconds);
    t.is(tags['audio.output.sample_rate'], '22050');
    // A short synthesis can start and end within one read of the app's stream (seen beside
    // stress-ng): then the proxy measured no processing time and reports no factor.
    const processing = spans.find((s) => s.name === 'gradio.process');
    if (tags['tts.realtime_factor'] === undefined) t.is(processing?.duration, 1, 'no factor only when processing measured 0');
    else t.true(Number(tags['tts.realtime_factor']) > 0, `tts.realtime_factor ${tags['tts.realtime_factor']}`);
  });
}
