// The proxies' memory under two loads throughput does not show (issue 10): many SSE streams held
// open at once (a crowd of pages waiting in the queue), and one large upload (a voice sample).
// Each target is a fresh process, so the peak it reports (VmHWM) belongs to this load alone.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

export interface StreamsResult {
  readonly wanted: number;
  readonly opened: number;
  readonly baselineMb: number;
  readonly peakMb: number;
  /** (peak - baseline) / opened, in KiB. */
  readonly perStreamKb: number;
}

export interface UploadResult {
  readonly bytes: number;
  readonly status: number;
  readonly baselineMb: number;
  readonly peakMb: number;
  readonly growthMb: number;
}

/** VmRSS and VmHWM (peak) of `pid`, in MiB. */
export function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * Opens `n` streams on `${url}/gradio_api/queue/data?…&hold=1` (a distinct session each), waits for
 * every first event, holds them `holdMs`, then closes them all.
 */
export async function holdStreams(url: string, pid: number, n: number, holdMs: number): Promise<StreamsResult> {
  const baselineMb = rssOf(pid).rss;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const open: (() => void)[] = [];
  let opened = 0;
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve) => {
    const req = request(`${url}/gradio_api/queue/data?session_hash=bench${i.toString(36)}&hold=1`, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.once('data', () => { opened++; resolve(); });
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
    req.setTimeout(30_000, () => { req.destroy(); resolve(); });
    open.push(() => req.destroy());
    req.end();
  })));
  await new Promise((r) => setTimeout(r, holdMs));
  const peakMb = rssOf(pid).peak;
  for (const close of open) close();
  agent.destroy();
  return { wanted: n, opened, baselineMb, peakMb, perStreamKb: opened ? ((peakMb - baselineMb) * 1024) / opened : NaN };
}

/** One multipart upload of `bytes` (a WAV part) to `${url}/gradio_api/upload`, written as fast as the proxy takes it. */
export async function uploadOnce(url: string, pid: number, bytes: number): Promise<UploadResult> {
  const baselineMb = rssOf(pid).rss;
  const boundary = '----bench9f2c';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="voice.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const wavHeader = Buffer.alloc(44);
  wavHeader.write('RIFF', 0); wavHeader.writeUInt32LE(36 + bytes, 4); wavHeader.write('WAVE', 8); wavHeader.write('fmt ', 12);
  wavHeader.writeUInt32LE(16, 16); wavHeader.writeUInt16LE(1, 20); wavHeader.writeUInt16LE(1, 22); wavHeader.writeUInt32LE(22050, 24);
  wavHeader.writeUInt32LE(44100, 28); wavHeader.writeUInt16LE(2, 32); wavHeader.writeUInt16LE(16, 34); wavHeader.write('data', 36); wavHeader.writeUInt32LE(bytes, 40);
  const piece = Buffer.alloc(64 * 1024, 1);
  const total = head.length + wavHeader.length + bytes + tail.length;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/gradio_api/upload`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': total } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write(head);
    req.write(wavHeader);
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(piece.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
  const peakMb = rssOf(pid).peak;
  return { bytes, status, baselineMb, peakMb, growthMb: peakMb - baselineMb };
}
