// The official clients, unmodified, against the worker directly and through our tracing proxy.
import test from 'ava';
import { Client } from '@gradio/client';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseWav } from '../../upstream-tts/src/tts/wav.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { gradioPython, startWorker, type RunningWorker } from './helpers.js';

const run = promisify(execFile);
let worker: RunningWorker;
let proxy: RunningProxy;

test.before(async () => {
  worker = await startWorker();
  proxy = await startProxy({ upstream: worker.url });
});
test.after.always(async () => {
  await proxy?.stop();
  await worker?.stop();
});

const TEXT = 'Hello from the official client. This is the second sentence!';

/** A WAV from the worker: consistent RIFF header, 22050 Hz mono 16-bit, longer than half a second. */
function assertWav(t: import('ava').ExecutionContext, wav: Buffer): void {
  const info = parseWav(wav);
  t.like(info, { sampleRate: 22050, channels: 1, bitsPerSample: 16 });
  t.true(info.seconds > 0.5, `${info.seconds} s`);
}

for (const via of ['direct', 'proxy'] as const) {
  test.serial(`@gradio/client predict (${via}) gets the whole WAV as FileData`, async (t) => {
    const base = via === 'direct' ? worker.url : proxy.url;
    const app = await Client.connect(base);
    const result = await app.predict('/synthesize', { text: TEXT, speed: 1 });
    const file = (result.data as { url: string; path: string; orig_name: string }[])[0]!;
    t.is(file.orig_name, 'audio.wav');
    // The URL points where the client connected (through the proxy: the proxy).
    t.true(file.url.startsWith(`${base}/gradio_api/file=`), file.url);
    const res = await fetch(file.url);
    t.is(res.status, 200);
    assertWav(t, Buffer.from(await res.arrayBuffer()));
    // A user error arrives as a rejected predict with the worker's message.
    await t.throwsAsync(app.predict('/synthesize', { text: '   ' }), { message: 'text is empty' });
    app.close();
  });

  test.serial(`Python gradio_client predict (${via}) downloads a valid WAV`, async (t) => {
    const base = via === 'direct' ? worker.url : proxy.url;
    const python = await gradioPython();
    const script = [
      'import sys, json',
      'from gradio_client import Client',
      'c = Client(sys.argv[1], verbose=False)',
      'path = c.predict(sys.argv[2], 1.0, api_name="/synthesize")',
      'try:',
      '    c.predict("bell \\u0007", api_name="/synthesize")',
      '    err = None',
      'except Exception as e:',
      '    err = f"{type(e).__name__}: {e}"',
      'print(json.dumps({"path": path, "error": err}))',
    ].join('\n');
    const { stdout } = await run(python, ['-c', script, base, TEXT], { timeout: 120_000, env: { ...process.env, GRADIO_ANALYTICS_ENABLED: 'False', HF_HUB_OFFLINE: '1' } });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as { path: string; error: string | null };
    assertWav(t, readFileSync(out.path));
    t.regex(out.error ?? '', /^AppError: text contains a control character \(U\+0007 at position 5\)/);
  });
}
