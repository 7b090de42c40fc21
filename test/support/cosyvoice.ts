// examples/cosyvoice-webui (a CosyVoice-shaped Gradio app speaking with Piper) and the three real
// clients that drive one zero-shot prediction against it: the Python gradio_client, the JS
// @gradio/client and headless Debian Chromium (playwright-core). Each driver returns what it sent
// and what came back, with timings; tests decide what to assert.
import { Client, handle_file } from '@gradio/client';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startGradioApp, type RunningGradioApp } from './gradio.js';
import { repoRoot, runScript } from './proc.js';
import type { RunningProxy } from './proxy.js';
import { accessLog } from './proxy.js';

export const COSYVOICE_APP = join(repoRoot, 'examples', 'cosyvoice-webui', 'app.py');
const PY_DRIVER = join(repoRoot, 'test', 'support', 'gradio_predict.py');

/** The zero-shot mode of CosyVoice's UI and the rest of generate_audio's defaults. */
export const ZERO_SHOT = '3s极速复刻';
export const SFT = '预训练音色';
export const DEFAULT_SPEAKER = '中文女';

export interface CosyVoiceOptions {
  /** Gradio version from PyPI (default: scripts/lib.sh GRADIO_VERSION). */
  version?: string;
  /** Extra environment for the app, e.g. EXAMPLE_DELAY_S, EXAMPLE_RAISE_TEXT. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningCosyVoice extends RunningGradioApp {
  version: string;
  /** The Piper voice (.onnx) the app speaks with. */
  voice: string;
}

/**
 * Starts examples/cosyvoice-webui/app.py with the Gradio venv of `version`: runs
 * scripts/setup-example.sh (ffmpeg, piper-tts in that venv) and scripts/setup-voice.sh first.
 */
export async function startCosyVoiceExample(options: CosyVoiceOptions = {}): Promise<RunningCosyVoice> {
  const version: string = options.version ?? versionOfVenv(await runScript('setup-gradio.sh'));
  await runScript('setup-example.sh', [version]);
  const voice = await runScript('setup-voice.sh');
  const app = await startGradioApp(COSYVOICE_APP, {
    version,
    env: { PIPER_VOICE: voice, ...options.env },
  });
  return { ...app, version, voice };
}

function versionOfVenv(python: string): string {
  const m = /venv-gradio-([0-9.]+)\//.exec(python);
  if (!m?.[1]) throw new Error(`cannot tell the Gradio version of ${python}`);
  return m[1];
}

/**
 * Writes a mono 16-bit PCM WAV of exactly `seconds` (rounded to whole samples) at `rate`: a
 * 220 Hz tone with a 330 Hz overtone and a slow amplitude wobble (speech-like level changes).
 * Returns the file's bytes.
 */
export async function makeWav(path: string, seconds = 3.5, rate = 16000): Promise<Buffer> {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const env = 0.55 + 0.45 * Math.sin(2 * Math.PI * 3 * t);
    const v = env * (0.5 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 330 * t));
    data.writeInt16LE(Math.round(v * 0.8 * 32767), i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  const wav = Buffer.concat([h, data]);
  await writeFile(path, wav);
  return wav;
}

/** Gradio's FileData as it appears in outputs (all keys present from the server; nulls kept). */
export interface FileData {
  path: string;
  url?: string | null;
  size?: number | null;
  orig_name?: string | null;
  mime_type?: string | null;
  is_stream?: boolean;
  meta?: { _type?: string } | null;
}

/** One HTTP request a client made, as the client saw it. */
export interface ClientRequest {
  method: string;
  /** Path and query, without scheme and host. */
  path: string;
  status?: number;
  /** ms since the driver started. */
  start_ms: number;
  /** queue/join (and /call) JSON bodies. */
  body?: unknown;
  upload_bytes?: number;
  error?: string;
}

export interface PredictInput {
  /** The text to speak (tts_text). */
  text: string;
  /** The prompt audio to upload (prompt_wav_upload). */
  promptWav: string;
  /** prompt_text */
  promptText: string;
  /** Default 3s极速复刻. */
  mode?: string;
}

/** The 10 values of generate_audio, in order (what the UI would send with these inputs). */
export function generateAudioArgs(input: { text: string; promptText?: string; mode?: string }, promptAudio: unknown): unknown[] {
  return [input.text, input.mode ?? ZERO_SHOT, DEFAULT_SPEAKER, input.promptText ?? '', promptAudio, null, '', 0, false, 1];
}

export interface PythonPrediction {
  client: 'python';
  client_version: string;
  /** predict() returned (false: it raised, see error; the prediction may still have completed). */
  ok: boolean;
  error?: { type: string; message: string; trace?: string };
  /** predict()'s return value (a local path when the client downloaded the output). */
  result?: unknown;
  /** The raw output FileData values the client received (one per message it processed). */
  outputs: FileData[];
  /** Each output download the client attempted, with the status it got. */
  downloads: { path: string; url?: string | null; is_stream?: boolean; status?: number; local?: string }[];
  requests: ClientRequest[];
  timings: { connect_ms: number; predict_ms: number; wall_ms: number };
  sent: { text: string; promptText: string; mode: string; promptWav: string; promptBytes: number };
}

/**
 * One prediction with the Python gradio_client (`Client(url).predict(..., api_name="/generate_audio")`,
 * prompt audio via handle_file) run by test/support/gradio_predict.py under `python` (default: the
 * venv of the newest Gradio, whose gradio_client is the newest).
 */
export async function predictWithPythonClient(url: string, input: PredictInput & { python?: string; timeoutMs?: number }): Promise<PythonPrediction> {
  const python = input.python ?? (await runScript('setup-gradio.sh'));
  const mode = input.mode ?? ZERO_SHOT;
  const args = [PY_DRIVER, url, '--text', input.text, '--prompt-wav', input.promptWav, '--prompt-text', input.promptText, '--mode', mode];
  const started = Date.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(python, args, { timeout: input.timeoutMs ?? 90_000, maxBuffer: 16 << 20, env: { ...process.env, PYTHONUNBUFFERED: '1' } }, (err, out, errOut) => {
      if (err) reject(new Error(`gradio_predict.py failed: ${err.message}\n${errOut.slice(-4000)}`));
      else resolve(out);
    });
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as Omit<PythonPrediction, 'client' | 'sent'> & { timings: { connect_ms: number; predict_ms: number } };
  const promptBytes = (await readFile(input.promptWav)).length;
  return {
    ...parsed,
    client: 'python',
    timings: { ...parsed.timings, wall_ms: Date.now() - started },
    sent: { text: input.text, promptText: input.promptText, mode, promptWav: input.promptWav, promptBytes },
  };
}

export interface JsPrediction {
  client: 'js';
  client_version: string;
  ok: boolean;
  error?: string;
  /** Every `data` message's payload (process_generating values, then the final one). */
  data: unknown[][];
  /** The output FileData of the final data message. */
  output?: FileData;
  /** Status stages in order (pending, generating, complete / error). */
  stages: string[];
  logs: { level: string; log: string }[];
  requests: ClientRequest[];
  timings: { connect_ms: number; submit_to_first_data_ms?: number; submit_to_complete_ms?: number; wall_ms: number };
  sent: { args: unknown[]; promptBytes: number };
}

/**
 * One prediction with @gradio/client: `Client.connect(url)` then `submit('/generate_audio', [...])`
 * with the prompt as `handle_file(new File([...], 'prompt.wav'))` (what a file drop is). Every
 * fetch the client makes is recorded by wrapping globalThis.fetch for the duration of the call.
 */
export async function predictWithJsClient(url: string, input: PredictInput & { timeoutMs?: number }): Promise<JsPrediction> {
  const t0 = Date.now();
  const requests: ClientRequest[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (resource: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const req = resource instanceof Request ? resource : undefined;
    const href = req ? req.url : resource instanceof URL ? resource.href : String(resource);
    const u = new URL(href);
    const method = (init?.method ?? req?.method ?? 'GET').toUpperCase();
    const entry: ClientRequest = { method, path: u.pathname + u.search, start_ms: Date.now() - t0 };
    if (method === 'POST' && typeof init?.body === 'string' && /\/(queue\/join|call\/)/.test(u.pathname)) {
      try { entry.body = JSON.parse(init.body); } catch { /* not JSON */ }
    }
    requests.push(entry);
    try {
      const res = await realFetch(resource, init);
      entry.status = res.status;
      return res;
    } catch (err) {
      entry.error = err instanceof Error ? err.name : String(err);
      throw err;
    }
  }) as typeof fetch;

  const wav = await readFile(input.promptWav);
  const args = generateAudioArgs(input, handle_file(new File([wav], basename(input.promptWav), { type: 'audio/wav' })));
  const out: JsPrediction = {
    client: 'js', client_version: await jsClientVersion(), ok: false, data: [], stages: [], logs: [], requests,
    timings: { connect_ms: 0, wall_ms: 0 }, sent: { args: args.map((a) => (a instanceof Blob ? `<File ${basename(input.promptWav)} ${a.size} B>` : a)), promptBytes: wav.length },
  };
  let client: Client | undefined;
  try {
    client = await Client.connect(url, { events: ['data', 'status', 'log'] });
    out.timings.connect_ms = Date.now() - t0;
    const submitted = Date.now();
    const job = client.submit('/generate_audio', args);
    const timer = setTimeout(() => { void job.cancel(); }, input.timeoutMs ?? 60_000);
    try {
      for await (const msg of job) {
        if (msg.type === 'data') {
          out.timings.submit_to_first_data_ms ??= Date.now() - submitted;
          out.data.push(msg.data as unknown[]);
        } else if (msg.type === 'status') {
          if (out.stages[out.stages.length - 1] !== msg.stage) out.stages.push(msg.stage);
          if (msg.stage === 'error') out.error = String(msg.message ?? 'error');
          if (msg.stage === 'complete' || msg.stage === 'error') {
            out.timings.submit_to_complete_ms = Date.now() - submitted;
            break;
          }
        } else if (msg.type === 'log') {
          out.logs.push({ level: msg.level, log: msg.log });
        }
      }
    } finally {
      clearTimeout(timer);
    }
    const last = out.data[out.data.length - 1];
    out.output = (last?.[0] ?? undefined) as FileData | undefined;
    out.ok = out.error === undefined && out.stages.includes('complete');
  } catch (err) {
    out.error = err instanceof Error ? err.message : JSON.stringify(err);
  } finally {
    if (client) await closeQuietly(client);
    globalThis.fetch = realFetch;
    out.timings.wall_ms = Date.now() - t0;
  }
  return out;
}

/**
 * Client.close() aborts the session's SSE fetch even when the server already ended it, and the
 * client then prints that AbortError. Give the server a moment to end queue/data (sse_v3 sends
 * close_stream and ends the response) and close only a stream that is still open.
 */
async function closeQuietly(client: Client): Promise<void> {
  const instance = (client as unknown as { stream_instance?: { readyState?: number } }).stream_instance;
  for (let i = 0; i < 20 && instance && instance.readyState !== 2; i++) await new Promise((r) => setTimeout(r, 50));
  if (!instance || instance.readyState !== 2) client.close();
}

let jsVersion: string | undefined;
async function jsClientVersion(): Promise<string> {
  if (!jsVersion) {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'node_modules', '@gradio', 'client', 'package.json'), 'utf8')) as { version: string };
    jsVersion = pkg.version;
  }
  return jsVersion;
}

export interface BrowserPrediction {
  client: 'browser';
  browser_version: string;
  ok: boolean;
  error?: string;
  /** The `src` the output <audio> element got (a blob: URL under hls.js, else an http URL). */
  audioSrc?: string;
  /** Requests the page made to the app (method, path, status), in order. */
  requests: ClientRequest[];
  /** The page's console errors and warnings, and uncaught exceptions. */
  console: string[];
  timings: { launch_ms: number; page_ready_ms: number; click_to_audio_src_ms?: number; click_to_audio_loaded_ms?: number; wall_ms: number };
  /** The output <audio>'s duration once the player loaded it (may be missing or partial while streaming). */
  audioDurationS?: number;
  /**
   * queue/data streams the page still had open when it was closed: a prediction still running
   * then is cancelled (Gradio cancels a session's work when its stream goes), so its trace
   * rightly says `cancelled`. 0 unless the wait for them ran out.
   */
  streamsOpenAtClose?: number;
  sent: { text: string; mode: string; promptWav?: string; promptText?: string };
}

/**
 * Headless Debian Chromium (scripts/setup-chromium.sh) driven by playwright-core: opens the app,
 * types `text` into 输入合成文本, clicks 生成音频 and waits until an <audio> element gets a src.
 * With `promptWav`, it first picks 3s极速复刻, uploads the file and types `promptText`. Requests
 * to any other host are aborted (the page would otherwise try web fonts).
 */
export async function predictWithBrowser(
  url: string,
  input: { text: string; promptWav?: string; promptText?: string; timeoutMs?: number; settleMs?: number },
): Promise<BrowserPrediction> {
  const t0 = Date.now();
  const executablePath = await runScript('setup-chromium.sh');
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(join(tmpdir(), 'tts-chromium-'));
  const origin = new URL(url).origin;
  const requests: ClientRequest[] = [];
  const mode = input.promptWav ? ZERO_SHOT : SFT;
  const out: BrowserPrediction = {
    client: 'browser', browser_version: '', ok: false, requests, console: [],
    timings: { launch_ms: 0, page_ready_ms: 0, wall_ms: 0 },
    sent: { text: input.text, mode, promptWav: input.promptWav, promptText: input.promptText },
  };
  const timeout = input.timeoutMs ?? 60_000;
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // a fake microphone: Gradio 5.4's microphone component (prompt_wav_record) opens it on load
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
  try {
    out.browser_version = context.browser()?.version() ?? '';
    out.timings.launch_ms = Date.now() - t0;
    await context.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => {
      if (!/^https?:/.test(r.url())) return; // blob:/data: URLs are the page's own
      const u = new URL(r.url());
      if (u.origin !== origin) return;
      requests.push({ method: r.method(), path: u.pathname + u.search, start_ms: Date.now() - t0 });
    });
    // The page's event streams in flight: it is closed only once they ended, or its prediction
    // would be cut short. Playing starts with the first HLS segment, long before the result when
    // the machine is busy (seen beside stress-ng: the page closed mid-generation, and the trace
    // said `cancelled`, which is what the proxy saw).
    const streams = new Set<unknown>();
    page.on('request', (r) => { if (r.method() === 'GET' && /\/queue\/data\b/.test(r.url())) streams.add(r); });
    page.on('requestfinished', (r) => { streams.delete(r); });
    page.on('requestfailed', (r) => { streams.delete(r); });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') out.console.push(`${m.type()}: ${m.text().slice(0, 500)}`); });
    page.on('pageerror', (e) => out.console.push(`pageerror: ${e.message.slice(0, 500)}`));
    page.on('response', (r) => {
      if (!/^https?:/.test(r.url())) return;
      const u = new URL(r.url());
      const path = u.pathname + u.search;
      const entry = [...requests].reverse().find((e) => e.path === path && e.method === r.request().method() && e.status === undefined);
      if (entry) entry.status = r.status();
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    const textbox = page.getByLabel('输入合成文本');
    await textbox.waitFor({ state: 'visible', timeout });
    out.timings.page_ready_ms = Date.now() - t0;
    if (input.promptWav) {
      await page.getByText(ZERO_SHOT, { exact: true }).first().click({ timeout });
      // The component's value is set once the upload answered and its player fetched the file
      // back (GET file=<path>); clicking earlier sends prompt_wav_upload = null (seen on 4.44.1).
      const uploaded = page.waitForResponse((r) => r.request().method() === 'POST' && /\/upload$/.test(new URL(r.url()).pathname), { timeout });
      const fetchedBack = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname.includes('/file='), { timeout });
      await page.locator('input[type=file]').first().setInputFiles(input.promptWav, { timeout });
      await uploaded;
      await fetchedBack;
      await page.waitForTimeout(200);
      if (input.promptText) await page.getByLabel('输入prompt文本').fill(input.promptText, { timeout });
    }
    await textbox.fill(input.text, { timeout });
    // <audio> elements that already have a source (e.g. the uploaded prompt's player)
    const before = await page.evaluate(() => [...document.querySelectorAll('audio')].filter((a) => (a.getAttribute('src') ?? '') !== '').length);
    const clicked = Date.now();
    await page.getByRole('button', { name: '生成音频' }).click({ timeout });
    await page.waitForFunction(
      (n: number) => [...document.querySelectorAll('audio')].filter((a) => (a.getAttribute('src') ?? '') !== '').length > n,
      before,
      { timeout, polling: 50 },
    );
    out.timings.click_to_audio_src_ms = Date.now() - clicked;
    out.audioSrc = await page.evaluate(() => {
      const all = [...document.querySelectorAll('audio')].filter((a) => (a.getAttribute('src') ?? '') !== '');
      return all[all.length - 1]?.getAttribute('src') ?? undefined;
    });
    out.ok = true;
    // Let the player load what it plays (hls.js: playlist + segments; 4.x: the byte stream) so the
    // run shows the media requests a user's page makes; not required for `ok`.
    const loaded = await page
      .waitForFunction(() => { const a = [...document.querySelectorAll('audio')].filter((x) => (x.getAttribute('src') ?? '') !== '').pop(); return !!a && a.readyState >= 2 && Number.isFinite(a.duration) && a.duration > 0; }, undefined, { timeout: 5_000, polling: 50 })
      .then(() => true, () => false);
    if (loaded) {
      out.timings.click_to_audio_loaded_ms = Date.now() - clicked;
      out.audioDurationS = await page.evaluate(() => [...document.querySelectorAll('audio')].filter((x) => (x.getAttribute('src') ?? '') !== '').pop()?.duration);
    }
    for (const until = Date.now() + timeout; streams.size > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    out.streamsOpenAtClose = streams.size;
    await new Promise((r) => setTimeout(r, input.settleMs ?? 500));
  } catch (err) {
    out.error = err instanceof Error ? err.message.slice(0, 2000) : String(err);
  } finally {
    await context.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    out.timings.wall_ms = Date.now() - t0;
  }
  return out;
}

/** What an output audio turned out to be, fetched straight from the app (not through the proxy). */
export interface OutputAudio {
  kind: 'hls' | 'wav-stream';
  durationS: number;
  bytes: number;
  /** HLS: segment count and whether the playlist is closed (#EXT-X-ENDLIST). */
  segments?: number;
  ended?: boolean;
  /** HLS: the first segment starts with an ADTS sync word (AAC). WAV: the RIFF header. */
  validHeader: boolean;
  sampleRate?: number;
}

/**
 * Fetches a streaming output from the app directly (its FileData.url re-rooted on `appUrl`):
 * Gradio 5/6 → the HLS playlist (sum of #EXTINF) and its first AAC segment; Gradio 4 → the
 * chunked WAV stream (it can be read only once: Gradio pops the chunks).
 */
export async function fetchOutputAudio(appUrl: string, file: FileData, timeoutMs = 20_000): Promise<OutputAudio> {
  if (!file.url) throw new Error(`output has no url: ${JSON.stringify(file)}`);
  const src = new URL(file.url);
  const direct = new URL(src.pathname + src.search, appUrl);
  const res = await fetch(direct, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${direct.pathname}: HTTP ${res.status}`);
  if (direct.pathname.endsWith('.m3u8')) {
    const text = await res.text();
    const extinf = [...text.matchAll(/#EXTINF:([0-9.]+)/g)].map((m) => Number(m[1]));
    const uris = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    let validHeader = false;
    let bytes = 0;
    for (const [i, uri] of uris.entries()) {
      const seg = await fetch(new URL(uri, direct), { signal: AbortSignal.timeout(timeoutMs) });
      const buf = Buffer.from(await seg.arrayBuffer());
      bytes += buf.length;
      if (i === 0) validHeader = seg.ok && buf.length > 7 && buf[0] === 0xff && (buf[1]! & 0xf0) === 0xf0;
    }
    return { kind: 'hls', durationS: extinf.reduce((a, b) => a + b, 0), bytes, segments: uris.length, ended: text.includes('#EXT-X-ENDLIST'), validHeader };
  }
  const buf = Buffer.from(await res.arrayBuffer());
  const validHeader = buf.length > 44 && buf.toString('ascii', 0, 4) === 'RIFF' && buf.toString('ascii', 8, 12) === 'WAVE';
  const sampleRate = validHeader ? buf.readUInt32LE(24) : undefined;
  const blockAlign = validHeader ? buf.readUInt16LE(32) : 2;
  // the first chunk's header has its sizes patched to 0xFFFFFFFF; later chunks are raw PCM
  const dataBytes = Math.max(0, buf.length - 44);
  return { kind: 'wav-stream', durationS: sampleRate ? dataBytes / blockAlign / sampleRate : 0, bytes: buf.length, validHeader, sampleRate };
}

/** One line of the proxy's access log (proxy/src/access-log.ts). */
export interface AccessLine {
  trace_id?: string;
  method: string;
  route: string;
  path: string;
  status: number;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
  [k: string]: unknown;
}

/**
 * The access-log lines a piece of work produced on `proxy`: call `mark()` before, then `since()`
 * after (it waits `settleMs` for long-lived requests, e.g. queue/data, to end and be logged).
 */
export function accessLogWindow(proxy: RunningProxy): { since(settleMs?: number): Promise<AccessLine[]> } {
  const start = accessLog(proxy).length;
  return {
    async since(settleMs = 300) {
      await new Promise((r) => setTimeout(r, settleMs));
      return accessLog(proxy).slice(start) as unknown as AccessLine[];
    },
  };
}

/** The trace ids of the `queue/join` requests among `lines` (one per prediction). */
export function joinTraceIds(lines: readonly AccessLine[]): string[] {
  return lines.filter((l) => /\/queue\/join$/.test(l.route) && typeof l.trace_id === 'string').map((l) => l.trace_id!);
}

/** `METHOD route status` for each line, e.g. `POST /gradio_api/queue/join 200` (for reports and diffs). */
export function routeSequence(lines: readonly AccessLine[]): string[] {
  return lines.map((l) => `${l.method} ${l.route} ${l.status}`);
}

/**
 * A client's requests as `METHOD path status`, with what differs between two identical
 * predictions (session hash, run id, event/segment/upload ids, temp dirs) replaced by
 * placeholders, so a run through the chain can be compared with a direct one.
 */
export function wireSequence(requests: readonly ClientRequest[]): string[] {
  const hashes = new Set<string>();
  for (const r of requests) {
    const sh = (r.body as { session_hash?: unknown } | undefined)?.session_hash;
    if (typeof sh === 'string' && sh !== '') hashes.add(sh);
    const q = /[?&]session_hash=([^&]+)/.exec(r.path);
    if (q?.[1]) hashes.add(decodeURIComponent(q[1]));
  }
  return requests.map((r) => {
    let p = r.path;
    for (const h of hashes) p = p.split(h).join('{session_hash}');
    p = p
      .replace(/upload_id=[0-9a-z]+/g, 'upload_id={upload_id}')
      .replace(/\/file=[^?]*/g, (m) => (/\{session_hash\}/.test(m) ? m : '/file={path}'))
      .replace(/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.[a-z0-9]+)?(?=\/|$)/g, '/{uuid}$1')
      .replace(/\/(\d{6,}|[0-9a-f]{32})(?=\/)/g, '/{run}')
      .replace(/(\/theme\.css)\?v=[0-9a-f]+/, '$1?v={hash}')
      .replace(/\/assets\/[^?]+/, '/assets/*');
    return `${r.method} ${p} ${r.status ?? '-'}`;
  });
}
