// Span times from epoch milliseconds, rounded to whole microseconds. The Zipkin exporter
// (exporter-zipkin 2.12) sends a span's timestamp unrounded, and Zipkin rejects the whole batch
// (HTTP 400, "Expected a long") when a start time has a sub-microsecond part, which times
// measured on another thread (performance.timeOrigin + performance.now()) always have.
import type { HrTime } from '@opentelemetry/api';

export function hrTimeFromEpochMs(epochMs: number): HrTime {
  const micros = Math.round(epochMs * 1000);
  return [Math.floor(micros / 1e6), (micros % 1e6) * 1000];
}

/** Now, as epoch ms (sub-ms precision), comparable with the inference threads' clocks. */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}
