// GET / in a real headless Chromium (Debian's, scripts/setup-chromium.sh): type, click Generate,
// and the audio player gets the synthesised WAV and can play it.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../../support/proc.js';
import { startWorker } from '../helpers.js';

test('the page speaks: text in, Generate, a playable WAV in the player', async (t) => {
  const [worker, executablePath] = await Promise.all([startWorker(), runScript('setup-chromium.sh')]);
  t.teardown(() => worker.stop());
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(join(tmpdir(), 'tts-page-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
  });
  t.teardown(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(worker.url, { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Text').fill('Hello from the browser. Two sentences here!');
  await page.locator('#speed').fill('1.25');
  t.is(await page.locator('#speedValue').textContent(), '1.25');
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').startsWith('Done'), undefined, { timeout: 60_000 });
  t.is(await page.locator('#status').textContent(), 'Done: 2 sentence(s).');
  const src = await page.locator('#player').getAttribute('src');
  t.regex(src ?? '', /\/gradio_api\/file=.*\/audio\.wav$/);
  // The browser fetched and decoded it: metadata loaded, a duration over half a second.
  const duration = await page.waitForFunction(() => {
    const a = document.getElementById('player') as HTMLAudioElement;
    return a.readyState >= 1 && Number.isFinite(a.duration) ? a.duration : 0;
  }, undefined, { timeout: 30_000 });
  t.true((await duration.jsonValue()) > 0.5);
  // An error from the server shows up on the page.
  await page.getByLabel('Text').fill('emoji 🎉 here');
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.waitForFunction(() => document.getElementById('status')?.className === 'error', undefined, { timeout: 30_000 });
  t.regex(await page.locator('#status').textContent() ?? '', /text contains an emoji/);
  if (process.env.TTS_PAGE_SCREENSHOT) await page.screenshot({ path: process.env.TTS_PAGE_SCREENSHOT, fullPage: true });
  t.deepEqual(errors, []);
});
