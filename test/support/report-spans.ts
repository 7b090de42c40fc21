// Hand-made Zipkin v2 spans in the shape the proxy exports (docs/tracing-schema.md), for the
// report's tests: one prediction = a SERVER span (queue/join), its gradio.predict child, and the
// predict's gradio.queue and gradio.process children. Durations in ms, stored as Zipkin's µs.
import { randomBytes } from 'node:crypto';
import type { ZipkinSpan } from './zipkin.js';

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export interface PredictionSpec {
  service: string;
  arm?: string;
  version?: string;
  replica?: string;
  /** epoch ms of the submission */
  startMs: number;
  queueMs?: number;
  processMs?: number;
  /** the predict span's duration; default queue + process + 5 */
  totalMs?: number;
  ttfcMs?: number;
  rtf?: number;
  errorType?: string;
  endReason?: string;
  apiName?: string;
  /** error.type of the submitting SERVER span */
  httpErrorType?: string;
}

function armTags(s: { arm?: string; version?: string }): Record<string, string> {
  const t: Record<string, string> = {};
  if (s.arm !== undefined) t['tts.upstream.arm'] = s.arm;
  if (s.version !== undefined) t['deployment.version'] = s.version;
  return t;
}

/** The trace of one prediction: SERVER (post /gradio_api/queue/join) → predict → queue, process. */
export function prediction(p: PredictionSpec): ZipkinSpan[] {
  const traceId = hex(16);
  const [serverId, predictId, queueId, processId] = [hex(8), hex(8), hex(8), hex(8)];
  const t0 = p.startMs * 1000;
  const queue = p.queueMs ?? 0;
  const process = p.processMs ?? 0;
  const total = p.totalMs ?? queue + process + 5;
  const ep = { serviceName: p.service };
  const tags: Record<string, string> = {
    ...armTags(p),
    'gradio.api_name': p.apiName ?? '/generate_audio',
    'gradio.end_reason': p.endReason ?? (p.errorType ? 'failed' : 'completed'),
  };
  if (p.replica) tags['tts.upstream.replica'] = p.replica;
  if (p.errorType) tags['error.type'] = p.errorType;
  if (p.ttfcMs !== undefined) tags['tts.time_to_first_chunk_ms'] = String(p.ttfcMs);
  if (p.rtf !== undefined) tags['tts.realtime_factor'] = String(p.rtf);
  const serverTags: Record<string, string> = {
    ...armTags(p), 'http.request.method': 'POST', 'http.route': '/gradio_api/queue/join', 'http.response.status_code': '200',
  };
  if (p.httpErrorType) serverTags['error.type'] = p.httpErrorType;
  const spans: ZipkinSpan[] = [
    { traceId, id: serverId, kind: 'SERVER', name: 'post /gradio_api/queue/join', timestamp: t0, duration: 3000, localEndpoint: ep, tags: serverTags },
    { traceId, id: predictId, parentId: serverId, name: `gradio.predict ${(p.apiName ?? '/generate_audio').toLowerCase()}`, timestamp: t0 + 1000, duration: total * 1000, localEndpoint: ep, tags },
  ];
  if (p.queueMs !== undefined) {
    spans.push({ traceId, id: queueId, parentId: predictId, name: 'gradio.queue', timestamp: t0 + 1000, duration: queue * 1000, localEndpoint: ep, tags: {} });
  }
  if (p.processMs !== undefined) {
    spans.push({ traceId, id: processId, parentId: predictId, name: 'gradio.process', timestamp: t0 + 1000 + queue * 1000, duration: process * 1000, localEndpoint: ep, tags: {} });
  }
  return spans;
}

/** A lone SERVER span (a trace of its own), e.g. `get /gradio_api/queue/data`. */
export function request(p: { service: string; arm?: string; version?: string; startMs: number; name?: string; status?: number; errorType?: string }): ZipkinSpan[] {
  const tags: Record<string, string> = { ...armTags(p), 'http.response.status_code': String(p.status ?? 200) };
  if (p.errorType) tags['error.type'] = p.errorType;
  return [{
    traceId: hex(16), id: hex(8), kind: 'SERVER', name: p.name ?? 'get /gradio_api/queue/data',
    timestamp: p.startMs * 1000, duration: 2000, localEndpoint: { serviceName: p.service }, tags,
  }];
}
