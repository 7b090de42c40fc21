import type { Writable } from 'node:stream';
import { formatRecord, type LogFormat } from '../../common/logger.js';
import type { RequestState } from './request-state.js';

export interface AccessLogEntry {
  readonly time: string;
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly request_id?: string;
  readonly sampled: boolean;
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly upstream_status?: number;
  readonly arm?: string;
  readonly version?: string;
  readonly replica?: string;
  readonly duration_ms: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
  readonly error_type?: string;
  readonly client_aborted?: boolean;
}

/**
 * One line per request (JSON by default, logfmt with --log-format text). Only the route template
 * and the redacted path are logged: raw paths and query strings carry session hashes and file
 * names (design §3, never exported). `sampled` is the head decision, the flag the app was sent;
 * a trace the proxy keeps for an error or slowness is in the backend all the same.
 */
/** Where access-log lines go: one string per request, newline included. */
export interface LineSink {
  write(line: string): unknown;
}

/**
 * Lines leave in batches, as nginx's `access_log … buffer= flush=` writes them: stdout to a file
 * or a pipe is written synchronously by Node, so a write per request was a system call per
 * request, and a write per event-loop turn still one per few requests under load. 10 ms is far
 * below what a person reading the log notices, and above a turn. A line waits at
 * most `flushMs`, the buffer holds at most `maxChars`, and `flush` empties it at shutdown.
 */
export class BatchedLines implements LineSink {
  private pending: string[] = [];
  private chars = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly sink: Writable, private readonly flushMs = 10, private readonly maxChars = 64 * 1024) {}

  write(line: string): void {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= this.maxChars) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.flushMs).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.sink.write(text);
  }
}

/** The line's fields for one finished request. */
export function accessLogEntry(s: RequestState, status: number, durationMs: number, time = isoNow()): AccessLogEntry {
  const sc = s.serverSpan?.spanContext();
  return {
    time,
    trace_id: sc?.traceId,
    span_id: sc?.spanId,
    request_id: s.requestId,
    sampled: sc ? (sc.traceFlags & 1) === 1 : false,
    method: s.method,
    route: s.route,
    path: s.safePath,
    status,
    upstream_status: s.upstreamStatus,
    arm: s.arm,
    version: s.armVersion,
    replica: s.replica,
    duration_ms: Math.round(durationMs * 1000) / 1000,
    bytes_in: s.requestBytes,
    bytes_out: s.responseBytes,
    error_type: s.errorType,
    client_aborted: s.clientAborted || undefined,
  };
}

// One ISO timestamp per millisecond: under load many lines share it, and building it was a
// Date and a string per request.
let isoMs = -1;
let isoText = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

const str = JSON.stringify;
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * The entry as JSON.stringify writes it (same keys, order and escaping; undefined fields left
 * out), written field by field: a generic stringify of the whole entry was most of the access
 * log's cost per request (issue 10). Every string still goes through JSON.stringify.
 */
export function accessLogJson(e: AccessLogEntry): string {
  let out = `{"time":${str(e.time)}`;
  if (e.trace_id !== undefined) out += `,"trace_id":${str(e.trace_id)}`;
  if (e.span_id !== undefined) out += `,"span_id":${str(e.span_id)}`;
  if (e.request_id !== undefined) out += `,"request_id":${str(e.request_id)}`;
  out += `,"sampled":${e.sampled},"method":${str(e.method)},"route":${str(e.route)},"path":${str(e.path)},"status":${num(e.status)}`;
  if (e.upstream_status !== undefined) out += `,"upstream_status":${num(e.upstream_status)}`;
  if (e.arm !== undefined) out += `,"arm":${str(e.arm)}`;
  if (e.version !== undefined) out += `,"version":${str(e.version)}`;
  if (e.replica !== undefined) out += `,"replica":${str(e.replica)}`;
  out += `,"duration_ms":${num(e.duration_ms)},"bytes_in":${num(e.bytes_in)},"bytes_out":${num(e.bytes_out)}`;
  if (e.error_type !== undefined) out += `,"error_type":${str(e.error_type)}`;
  if (e.client_aborted !== undefined) out += `,"client_aborted":${e.client_aborted}`;
  return `${out}}`;
}

export function writeAccessLog(sink: LineSink | undefined, s: RequestState, status: number, durationMs: number, format: LogFormat = 'json'): void {
  if (!sink) return;
  const entry = accessLogEntry(s, status, durationMs);
  sink.write((format === 'json' ? accessLogJson(entry) : formatRecord(format, entry as unknown as Record<string, unknown>)) + '\n');
}
