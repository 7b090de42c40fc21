// The trace id in the page (issue 12, --ui-trace-badge), on real Gradio 4.44.1, 5.4.0 and 6.31.0
// in headless Chromium: click generate, read the badge, and find that very trace in Zipkin, with
// the prediction in it; the badge's link is the configured template filled in. With
// TRACE_BADGE_SCREENSHOT=path the 6.x page is saved there (docs/img/trace-badge.png was made so).
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { startGradioApp } from '../support/gradio.js';
import { echoInPage, withPage } from '../support/browser.js';
import { startProxy } from '../support/proxy.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

for (const version of ['6.31.0', '5.4.0', '4.44.1']) {
  test.serial(`Gradio ${version}: the badge shows the prediction's trace id, which Zipkin has`, async (t) => {
    t.timeout(3 * 60_000);
    const zipkin = await zipkinUrl();
    const app = await startGradioApp(ECHO_APP, { version });
    const template = `${zipkin}/zipkin/traces/{trace_id}`;
    const proxy = await startProxy({ upstream: app.url, zipkinUrl: zipkin, args: ['--ui-trace-badge', 'true', '--trace-url-template', template] });
    try {
      await withPage(`${proxy.url}/`, async (page) => {
        await echoInPage(page, 'badge');
        const id = page.locator('#tts-trace-badge .tts-trace-id');
        await id.waitFor({ timeout: 30_000 });
        const traceId = (await id.textContent()) ?? '';
        t.regex(traceId, /^[0-9a-f]{32}$/);
        t.is(await page.locator('#tts-trace-badge a').getAttribute('href'), template.replace('{trace_id}', traceId));
        if (version.startsWith('6.') && process.env.TRACE_BADGE_SCREENSHOT) await page.screenshot({ path: process.env.TRACE_BADGE_SCREENSHOT });
        const spans = await getTrace(traceId, { minSpans: 5 });
        t.truthy(spans.find((s) => s.name === 'gradio.predict /echo'), JSON.stringify(spans.map((s) => s.name)));
        t.regex(spans.find((s) => s.kind === 'SERVER')?.name ?? '', /^post (\/gradio_api)?\/queue\/join$/);
      });
    } finally {
      await proxy.stop();
      await app.stop();
    }
  });
}
