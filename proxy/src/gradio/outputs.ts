// Output audio facts. Clients such as @gradio/client never download outputs, so the proxy
// cannot wait to see the bytes go by: after completion it reads just enough from the app itself
// — an HLS playlist (Gradio 5+/6 streaming audio; the sum of #EXTINF), or the first bytes of a
// `file=` download (Range request) — and keeps only the numbers.
import { request, type Agent, type IncomingMessage } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import { probeAudio, PROBE_HEAD_BYTES, type AudioMeta } from '../audio/probe.js';
import * as A from '../spans/attributes.js';
import { isLongString, type Captured } from './json-capture.js';
import { guarded, guardedListener, Site } from '../guard.js';

type Obj = { [k: string]: Captured };
const isObj = (v: Captured | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLongString(v);

export interface OutputFile {
  readonly path: string;
  readonly isStream: boolean;
  readonly size?: number;
  readonly extension?: string;
}

/**
 * FileData objects among the output values (outputs can be nested updates). Iterative and
 * bounded: at most depth 4 and 8 files, whatever shape the app's answer has.
 */
export function findOutputFiles(data: Captured | undefined): OutputFile[] {
  const out: OutputFile[] = [];
  // Depth-first in document order: the stack holds what is left to visit, last first.
  const stack: { v: Captured | undefined; depth: number }[] = [{ v: data, depth: 0 }];
  while (stack.length && out.length < 8) {
    const { v, depth } = stack.pop()!;
    if (depth > 4) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1 });
    } else if (isObj(v)) {
      const path = typeof v.path === 'string' ? v.path : typeof v.name === 'string' && v.is_file === true ? v.name : undefined;
      if (path) {
        const ext = /\.([A-Za-z0-9]{1,8})$/.exec(typeof v.orig_name === 'string' ? v.orig_name : path)?.[1]?.toLowerCase();
        out.push({ path, isStream: v.is_stream === true, size: typeof v.size === 'number' ? v.size : undefined, extension: ext });
      } else if ('value' in v) {
        stack.push({ v: v.value, depth: depth + 1 });
      }
    }
  }
  return out;
}

/** Total duration and segment count of an HLS media playlist. */
export function parseHlsPlaylist(text: string): { durationS: number; segments: number; ended: boolean } {
  let durationS = 0;
  let segments = 0;
  for (const line of text.split('\n')) {
    const m = /^#EXTINF:\s*([0-9.]+)/.exec(line.trim());
    if (m) {
      durationS += Number(m[1]);
      segments++;
    }
  }
  return { durationS, segments, ended: text.includes('#EXT-X-ENDLIST') };
}

interface FetchResult { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/**
 * Done with an answer after `received` body bytes. One whose declared length they are ends by
 * itself, and its connection goes back to the pool for the proxy's next request to the app (a
 * probe follows every completed prediction: closing the connection each time cost the app a
 * connection per prediction). Any other is cut: bytes still to come (a whole file sent for a
 * range, Gradio 4.44.1's answer that declares one byte more than it sends, a chunked body) would
 * reach whatever used the connection next.
 */
function leave(res: IncomingMessage, received: number): void {
  const declared = res.headers['content-length'];
  if (declared === undefined || Number(declared) !== received) res.destroy();
}

/**
 * How many body bytes the answer can bring, at most `maxBytes`: what its Content-Range covers,
 * clamped to the total it names, else its Content-Length. An app's framing can be wrong (Gradio
 * 4.44.1 says one byte more than a short file has and never ends the answer), so the probe stops
 * reading when the bytes it can use are in, instead of waiting for an end.
 */
function usableBytes(res: IncomingMessage, maxBytes: number): number {
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
  let n = Infinity;
  if (range) {
    const start = Number(range[1]);
    n = Number(range[2]) - start + 1;
    if (range[3] !== '*') n = Math.min(n, Number(range[3]) - start);
  } else if (res.headers['content-length'] !== undefined) {
    n = Number(res.headers['content-length']);
  }
  return Number.isFinite(n) && n >= 0 ? Math.min(n, maxBytes) : maxBytes;
}

/**
 * GET with a byte budget. It answers with what arrived as soon as every usable byte is in, and
 * with what arrived so far when the answer fails or times out (a head is a head, however the
 * rest went); undefined only when no answer began.
 */
function fetchHead(url: URL, headers: Record<string, string>, maxBytes: number, timeoutMs: number, agent: Agent | undefined): Promise<FetchResult | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs, agent }, guarded(Site.FETCH, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let n = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
      const want = usableBytes(res, maxBytes);
      res.on('error', done);
      guardedListener(res, 'data', Site.FETCH, (c: Buffer) => {
        if (n < want) parts.push(c.subarray(0, want - n));
        n += c.length;
        if (n >= want) {
          done();
          leave(res, n);
        }
      });
      guardedListener(res, 'end', Site.FETCH, done);
      guardedListener(res, 'close', Site.FETCH, done);
      if (want === 0) { done(); leave(res, 0); }
    }));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    // However the exchange goes (even if a guarded listener failed), the caller gets an answer.
    setTimeout(() => { req.destroy(); resolve(undefined); }, 2 * timeoutMs).unref();
    req.end();
  });
}

/**
 * What is first asked of an output that may be a WAV (named so, or not named): its header is in
 * its first few hundred bytes, and reading 256 KiB of every output cost the app a 256 KiB read and
 * the proxy a 256 KiB buffer for each prediction (two thirds of the proxy's CPU per prediction in
 * the bench's prediction payload, most of it collecting those buffers).
 */
export const WAV_PROBE_BYTES = 16 * 1024;

/** The first `bytes` of an output file, its total size, and what they say, or undefined when the app gave none. */
async function readHead(url: URL, bytes: number, t: ProbeTarget): Promise<{ meta: AudioMeta | undefined; total: number } | undefined> {
  const r = await fetchHead(url, { ...t.headers, range: `bytes=0-${bytes - 1}` }, bytes, t.timeoutMs, t.agent);
  if (!r || (r.status !== 200 && r.status !== 206)) return undefined;
  const range = /\/(\d+)$/.exec(String(r.headers['content-range'] ?? ''));
  const total = range ? Number(range[1]) : Number(r.headers['content-length'] ?? r.body.length);
  return { meta: await probeAudio(r.body, total), total };
}

export interface ProbeTarget {
  readonly upstream: URL;
  readonly apiPrefix: string;
  /** Headers the client sent that the app may need to serve the file (cookies for auth). */
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** The keep-alive agent of the proxy's own requests to the app (`GradioOptions.appAgent`). */
  readonly agent?: Agent;
}

/** Attributes for the first output audio file, or undefined when nothing could be learned. */
export async function probeOutput(file: OutputFile, t: ProbeTarget): Promise<{ attributes: Attributes; durationS?: number } | undefined> {
  if (file.isStream && file.path.endsWith('.m3u8')) {
    const url = new URL(`${t.apiPrefix}/stream/${file.path}`, t.upstream);
    const r = await fetchHead(url, t.headers, 1 << 20, t.timeoutMs, t.agent);
    if (!r || r.status !== 200) return undefined;
    const p = parseHlsPlaylist(r.body.toString('utf8'));
    return {
      durationS: p.durationS,
      attributes: {
        [A.ATTR_AUDIO_OUTPUT_DURATION_S]: Math.round(p.durationS * 1000) / 1000,
        [A.ATTR_AUDIO_OUTPUT_SEGMENTS]: p.segments,
        [A.ATTR_AUDIO_OUTPUT_FORMAT]: 'hls',
      },
    };
  }
  if (file.isStream) return undefined;
  const url = new URL(`${t.apiPrefix}/file=${file.path}`, t.upstream);
  // FileData.size, when the app gave it, bounds the range: no app has to clamp a range past the end.
  const bounded = (n: number): number => (file.size !== undefined && file.size > 0 ? Math.min(n, file.size) : n);
  const head = bounded(PROBE_HEAD_BYTES);
  const first = file.extension === undefined || file.extension === 'wav' ? bounded(WAV_PROBE_BYTES) : head;
  let found = await readHead(url, first, t);
  // A WAV header past the small range (a JUNK or LIST chunk before the data), or another format
  // under a WAV's name: the whole head, once.
  if (found?.meta && first < head && (found.meta.format !== 'wav' || found.meta.sampleRate === undefined)) found = (await readHead(url, head, t)) ?? found;
  if (!found) return undefined;
  const { meta, total } = found;
  if (!meta) return { attributes: { [A.ATTR_AUDIO_OUTPUT_BYTES]: total, ...(file.extension ? { [A.ATTR_AUDIO_OUTPUT_FORMAT]: file.extension } : {}) } };
  const attributes: Attributes = { [A.ATTR_AUDIO_OUTPUT_FORMAT]: meta.format, [A.ATTR_AUDIO_OUTPUT_BYTES]: meta.bytes };
  if (meta.durationS !== undefined) attributes[A.ATTR_AUDIO_OUTPUT_DURATION_S] = Math.round(meta.durationS * 1000) / 1000;
  if (meta.sampleRate !== undefined) attributes[A.ATTR_AUDIO_OUTPUT_SAMPLE_RATE] = meta.sampleRate;
  return { attributes, durationS: meta.durationS };
}
