import type { Writable } from 'node:stream';
import { formatRecord, type LogFormat } from '../../common/logger.js';
import type { RequestState } from './request-state.js';
import { JsonBytes } from './export/json-bytes.js';

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
/** Where access-log lines go: one per request, newline included. */
export interface LineSink {
  write(line: string): unknown;
  /** The entry as its JSON line (what JSON.stringify gives, and a newline). */
  writeJson(entry: AccessLogEntry): unknown;
}

const NEWLINE = 0x0a;

/**
 * Lines leave in batches, as nginx's `access_log … buffer= flush=` writes them: stdout to a file
 * or a pipe is written synchronously by Node, so a write per request was a system call per
 * request, and a write per event-loop turn still one per few requests under load. 10 ms is far
 * below what a person reading the log notices, and above a turn. A line waits at
 * most `flushMs`, the buffer holds at most `maxBytes`, and `flush` empties it at shutdown.
 *
 * A JSON line is written straight into the batch's bytes: built as a string, every line was a
 * few dozen short strings and a UTF-8 copy of the whole (issue 10).
 */
export class BatchedLines implements LineSink {
  private readonly w = new JsonBytes(16 * 1024);
  private timer?: NodeJS.Timeout;

  constructor(private readonly sink: Writable, private readonly flushMs = 10, private readonly maxBytes = 64 * 1024) {}

  write(line: string): void {
    this.w.text(line);
    this.written();
  }

  writeJson(entry: AccessLogEntry): void {
    accessLogJsonInto(this.w, entry);
    this.w.byte(NEWLINE);
    this.written();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.w.length) return;
    const bytes = this.w.take();
    this.w.reset();
    this.sink.write(bytes);
  }

  private written(): void {
    if (this.w.length >= this.maxBytes) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.flushMs).unref();
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

// The ISO timestamp's text up to the second is made once a second, and the milliseconds
// appended: a Date and its toISOString per request were a quarter of the access log's cost.
let isoSecond = Number.NaN;
let isoPrefix = '';
export function isoNow(ms = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    // "…:SS.mmmZ" without "mmmZ".
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * `num(n)` for a duration rounded to thousandths, which is what the log holds: from its integer
 * count of thousandths, as the shortest decimal of such a double is exactly that count with the
 * point put back (a general number-to-text conversion of a fraction was a sixth of the line's
 * cost). Anything else goes through num().
 */
function thousandths(n: number): string {
  const k = Math.round(n * 1000);
  if (!(k >= 0 && k < 1e15) || k / 1000 !== n) return num(n);
  const whole = Math.floor(k / 1000);
  let frac = k - whole * 1000;
  if (frac === 0) return String(whole);
  let digits = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : String(frac);
  while (frac % 10 === 0) {
    frac /= 10;
    digits = digits.slice(0, -1);
  }
  return `${whole}.${digits}`;
}

/**
 * The entry as JSON.stringify writes it (same keys, order and escaping; undefined fields left
 * out), written field by field into `w` as UTF-8: a generic stringify of the whole entry was most
 * of the access log's cost per request, and a line built as a string was a few dozen short
 * strings and a UTF-8 copy of the whole (issue 10). The test compares the two on random entries.
 */
export function accessLogJsonInto(w: JsonBytes, e: AccessLogEntry): void {
  w.bytes(K_TIME);
  w.string(e.time);
  if (e.trace_id !== undefined) field(w, K_TRACE_ID, e.trace_id);
  if (e.span_id !== undefined) field(w, K_SPAN_ID, e.span_id);
  if (e.request_id !== undefined) field(w, K_REQUEST_ID, e.request_id);
  w.bytes(e.sampled ? K_SAMPLED_TRUE : K_SAMPLED_FALSE);
  field(w, K_METHOD, e.method);
  field(w, K_ROUTE, e.route);
  field(w, K_PATH, e.path);
  w.bytes(K_STATUS);
  w.number(e.status);
  if (e.upstream_status !== undefined) {
    w.bytes(K_UPSTREAM_STATUS);
    w.number(e.upstream_status);
  }
  if (e.arm !== undefined) field(w, K_ARM, e.arm);
  if (e.version !== undefined) field(w, K_VERSION, e.version);
  if (e.replica !== undefined) field(w, K_REPLICA, e.replica);
  w.bytes(K_DURATION_MS);
  w.raw(thousandths(e.duration_ms));
  w.bytes(K_BYTES_IN);
  w.number(e.bytes_in);
  w.bytes(K_BYTES_OUT);
  w.number(e.bytes_out);
  if (e.error_type !== undefined) field(w, K_ERROR_TYPE, e.error_type);
  if (e.client_aborted !== undefined) w.raw(`,"client_aborted":${e.client_aborted}`);
  w.byte(0x7d);
}

function field(w: JsonBytes, key: Uint8Array, value: string): void {
  w.bytes(key);
  w.string(value);
}

const key = (k: string, first = false): Uint8Array => Buffer.from(`${first ? '{' : ','}"${k}":`, 'latin1');
const K_TIME = key('time', true);
const K_TRACE_ID = key('trace_id');
const K_SPAN_ID = key('span_id');
const K_REQUEST_ID = key('request_id');
const K_SAMPLED_TRUE = Buffer.from(',"sampled":true', 'latin1');
const K_SAMPLED_FALSE = Buffer.from(',"sampled":false', 'latin1');
const K_METHOD = key('method');
const K_ROUTE = key('route');
const K_PATH = key('path');
const K_STATUS = key('status');
const K_UPSTREAM_STATUS = key('upstream_status');
const K_ARM = key('arm');
const K_VERSION = key('version');
const K_REPLICA = key('replica');
const K_DURATION_MS = key('duration_ms');
const K_BYTES_IN = key('bytes_in');
const K_BYTES_OUT = key('bytes_out');
const K_ERROR_TYPE = key('error_type');

export function writeAccessLog(sink: LineSink | undefined, s: RequestState, status: number, durationMs: number, format: LogFormat = 'json'): void {
  if (!sink) return;
  const entry = accessLogEntry(s, status, durationMs);
  if (format === 'json') sink.writeJson(entry);
  else sink.write(formatRecord(format, entry as unknown as Record<string, unknown>) + '\n');
}
