// Issue 9, with a real Gradio 6.x: a throw injected into observation hooks (all at once, and the
// ones the Gradio clients lean on most) changes nothing a client sees. Answers are compared with
// the same calls made directly to the app; event ids differ between runs, so results are
// compared, and /gradio_api/info byte for byte.
import { Client } from '@gradio/client';
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Site } from '../../proxy/src/guard.js';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { raw } from '../support/http.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy } from '../support/proxy.js';
import { sha256 } from '../support/upstream.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

let app: RunningGradioApp;
test.before(async () => { app = await startGradioApp(ECHO_APP); });
test.after.always(async () => { await app?.stop(); });

async function session(base: string): Promise<unknown[]> {
  const client = await Client.connect(base);
  try {
    const echo = await client.predict('/echo', { text: 'Hello 世界' });
    const direct = await client.predict('/direct', { text: 'abc' });
    const chunks: unknown[] = [];
    for await (const m of client.submit('/slow_count', { text: 'n' })) if (m.type === 'data') chunks.push(m.data);
    const info = await raw(`${base}/gradio_api/info`);
    return [echo.data, direct.data, chunks, info.status, sha256(info.body)];
  } finally {
    client.close?.();
  }
}

for (const site of ['all', Site.PREDICTION, Site.STREAM_MESSAGE, Site.RESPONSE_CHUNK, Site.SETTLED]) {
  test.serial(`real Gradio, a throw injected at ${site}: clients get the app's answers, the process lives`, async (t) => {
    const expected = await session(app.url);
    const proxy = await startProxy({ upstream: app.url, env: { TTS_PROXY_FAULT_INJECT: site } });
    try {
      t.deepEqual(await session(proxy.url), expected);
      await new Promise((r) => setTimeout(r, 300));
      t.true(metricValue(await scrape(proxy.adminUrl), 'tts_proxy_observation_failures_total', site === 'all' ? {} : { site }) > 0);
      t.is(proxy.child.exitCode, null, proxy.stderr());
      t.true((await fetch(`${proxy.adminUrl}/healthz`)).ok);
    } finally {
      await proxy.stop();
    }
  });
}
