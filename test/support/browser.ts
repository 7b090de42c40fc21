// Headless Debian Chromium (scripts/setup-chromium.sh) driven by playwright-core, for tests that
// use a Gradio page as a person would. The CosyVoice driver (cosyvoice.ts) has its own, richer one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { runScript } from './proc.js';

/** Opens `url` in a fresh browser profile, runs `fn` on the page, and closes everything. */
export async function withPage<T>(url: string, fn: (page: Page) => Promise<T>): Promise<T> {
  const executablePath = await runScript('setup-chromium.sh');
  const { chromium } = await import('playwright-core');
  const dir = await mkdtemp(join(tmpdir(), 'tts-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    return await fn(page);
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** On test/apps/echo_app.py's page: types `text`, clicks "echo", waits for the reversed text. */
export async function echoInPage(page: Page, text: string): Promise<void> {
  await page.getByLabel('text').first().fill(text);
  await page.getByRole('button', { name: 'echo', exact: true }).click();
  const want = [...text].reverse().join('');
  await page.waitForFunction((w) => [...document.querySelectorAll('textarea')].some((e) => (e as HTMLTextAreaElement).value === w), want, { timeout: 30_000 });
}
