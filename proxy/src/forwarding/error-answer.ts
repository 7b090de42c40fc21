// The answers the proxy writes itself on the forwarding path: a failed upstream exchange (502/504)
// and a submission the input rules refuse (422). JSON, with the trace id when there is one.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Classified } from '../errors.js';
import { connectionFieldFor } from './connection-end.js';
import { lingeringClose } from './linger.js';

export interface TraceFields {
  readonly traceId?: string;
  readonly headers: Record<string, string>;
}

/** 502/504 for a failed upstream exchange; a response already under way is cut instead. */
export function answerUpstreamError(res: ServerResponse, c: Classified, trace?: TraceFields): void {
  if (res.headersSent) return void res.destroy();
  // None of the app's half-copied headers.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  answerJson(res, c.status, upstreamErrorBody(c, trace), trace);
}

const upstreamErrorBody = (c: Classified, trace: TraceFields | undefined) => ({ error: c.message, error_type: c.errorType, trace_id: trace?.traceId });

/**
 * The same answer on a socket Node's server handed over (a websocket handshake the app failed
 * before answering a byte), as nginx answers it. No response object frames it there, and the
 * handshake was the connection's last request, so it says `close` and the socket closes the
 * lingering way.
 */
export function answerUpstreamErrorOnSocket(socket: Duplex, c: Classified, trace?: TraceFields): void {
  answerJsonOnSocket(socket, c.status, upstreamErrorBody(c, trace), trace?.headers);
}

/**
 * One JSON answer of the proxy's own on a socket Node's server handed over (an upgrade, a
 * CONNECT), where no response object frames it: always the connection's last, closed the
 * lingering way. `headers` are the proxy's own fields (hex ids and flags), never a client's bytes.
 */
export function answerJsonOnSocket(socket: Duplex, status: number, value: unknown, headers?: Record<string, string>): void {
  if (!socket.writable) return void socket.destroy();
  const body = Buffer.from(JSON.stringify(value));
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  lingeringClose(socket);
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]));
}

/** One JSON answer of the proxy's own, stating the connection's fate as forwarded answers do. */
function answerJson(res: ServerResponse, status: number, value: unknown, trace?: TraceFields): void {
  // A Buffer body: a string body makes Node write the whole head as UTF-8 (header bytes above 0x7F change).
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, connection: connectionFieldFor(res), ...trace?.headers });
  res.end(body);
}

export interface Violation {
  readonly rule: string;
  readonly actual: number;
  readonly limit: number;
}

/** 422 for a submission the input rules refuse; nothing reached the app. */
export function answerRejected(res: ServerResponse, violations: readonly Violation[], errorType: string, trace?: TraceFields): void {
  answerJson(res, 422, {
    error: `rejected by tts-trace-proxy input rules: ${violations.map((v) => `${v.rule} (${v.actual} > ${v.limit})`).join(', ')}`,
    error_type: errorType, violations, trace_id: trace?.traceId,
  }, trace);
}
