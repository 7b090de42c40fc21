import type { HrTime } from '@opentelemetry/api';

/**
 * Epoch milliseconds → HrTime with whole microseconds. Zipkin's API rejects a whole batch whose
 * timestamps are not integers, and the exporter turns nanoseconds into microseconds without
 * rounding, so explicit times must already be microsecond-aligned.
 */
export function toHrTime(epochMs: number): HrTime {
  const micros = Math.round(epochMs * 1000);
  return [Math.floor(micros / 1e6), (micros % 1e6) * 1000];
}
