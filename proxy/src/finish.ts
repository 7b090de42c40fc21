// Ends a request exactly once: span statuses, metrics, access log. Runs from the response's
// 'close' (or the websocket's), whichever way the exchange ended.
import { SpanStatusCode } from '@opentelemetry/api';
import { writeAccessLog, type LineSink } from './access-log.js';
import type { LogFormat } from '../../common/logger.js';
import { exemplarLabels, statusClass, type Metrics } from './metrics.js';
import { elapsedMs, type RequestState } from './request-state.js';
import * as A from './spans/attributes.js';
import { toHrTime } from './spans/time.js';

export interface FinishDeps {
  readonly metrics: Metrics;
  readonly accessLog: LineSink | undefined;
  readonly accessLogFormat?: LogFormat;
  /** Whether the trace will be in the backend (head-sampled or kept by the tail): exemplars name only those. */
  readonly willKeep?: (traceId: string, sampled: boolean) => boolean;
}

/** nginx's status for a request whose client left before an answer was sent; no response carries it. */
export const CLIENT_CLOSED_REQUEST = 499;

/** Ends the CLIENT span; safe to call more than once. */
export function endClientSpan(s: RequestState, at?: number): void {
  const span = s.clientSpan;
  if (!span || !span.isRecording()) return;
  if (s.upstreamStatus !== undefined) {
    span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, s.upstreamStatus);
    // Semconv: for a CLIENT span every 4xx/5xx is an error.
    if (s.upstreamStatus >= 400 && !s.errorType) {
      span.setAttribute(A.ATTR_ERROR_TYPE, String(s.upstreamStatus));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  if (s.errorType) {
    span.setAttribute(A.ATTR_ERROR_TYPE, s.errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: s.errorType });
  }
  span.end(toHrTime(at ?? performance.timeOrigin + performance.now()));
}

/** When the exchange ended; observers may finish their work later, the span keeps this time. */
export interface EndTime {
  readonly ns: bigint;
  readonly epochMs: number;
}

export const endTimeNow = (): EndTime => ({ ns: process.hrtime.bigint(), epochMs: performance.timeOrigin + performance.now() });

/**
 * The exchange is over: the request leaves the in-flight gauges now, even if its spans wait
 * (bounded) for the Gradio parsers, which may still be fetching the app's schema. Safe to call more
 * than once.
 */
export function closeRequest(s: RequestState, metrics: Metrics): void {
  if (s.closed) return;
  s.closed = true;
  metrics.activeRequests.dec({ http_request_method: s.method });
  metrics.streamClosed(s);
}

export function finishRequest(s: RequestState, status: number, deps: FinishDeps, end: EndTime = endTimeNow()): void {
  if (s.finished) return;
  s.finished = true;
  closeRequest(s, deps.metrics);
  const durationMs = elapsedMs(s.startNs, end.ns);
  // What the observers found late (an app error in a submission's answer) still counts.
  s.errorType ??= s.found.errorType;
  endClientSpan(s, end.epochMs);
  const span = s.serverSpan;
  if (span) {
    span.setAttributes(s.found.attributes);
    for (const e of s.found.events) span.addEvent(e.name, toHrTime(e.at));
    if (!(s.clientAborted && status === CLIENT_CLOSED_REQUEST)) span.setAttribute(A.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    span.setAttribute(A.ATTR_HTTP_REQUEST_BODY_SIZE, s.requestBytes);
    span.setAttribute(A.ATTR_HTTP_RESPONSE_BODY_SIZE, s.responseBytes);
    if (s.firstByteNs !== undefined) span.setAttribute(A.ATTR_PROXY_TIME_TO_FIRST_BYTE_MS, elapsedMs(s.startNs, s.firstByteNs));
    if (s.clientAborted) span.setAttribute(A.ATTR_PROXY_CLIENT_ABORTED, true);
    if (s.errorType) {
      span.setAttribute(A.ATTR_ERROR_TYPE, s.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: s.errorType });
    } else if (status >= 500 && !s.clientAborted) {
      // Semconv: for a SERVER span only 5xx is an error; 4xx is the client's.
      span.setAttribute(A.ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(toHrTime(end.epochMs));
  }
  const labels = {
    http_request_method: s.method,
    http_route: s.route,
    http_response_status_code: String(status),
    http_response_status_class: statusClass(status),
    error_type: s.errorType ?? (status >= 500 ? String(status) : ''),
    tts_upstream_arm: s.arm ?? 'default',
  };
  // After span.end(): the tail sampler has seen the SERVER span's status and duration.
  const sc = span?.spanContext();
  const kept = !!sc && (deps.willKeep?.(sc.traceId, (sc.traceFlags & 1) === 1) ?? (sc.traceFlags & 1) === 1);
  deps.metrics.requestDuration.observe({ labels, value: durationMs / 1000, exemplarLabels: exemplarLabels(kept, sc?.traceId, sc?.spanId) });
  if (s.clientAborted) deps.metrics.clientAborts.inc({ http_route: s.route });
  writeAccessLog(deps.accessLog, s, status, durationMs, deps.accessLogFormat);
}
