// Reading spans back from a Zipkin by service name (any Zipkin: the shared one or a test's own).
import type { ZipkinSpan } from './zipkin.js';

export async function spansOf(zipkinBase: string, serviceName: string, lookbackMs = 60 * 60_000): Promise<ZipkinSpan[]> {
  const q = new URLSearchParams({ serviceName, endTs: String(Date.now() + 60_000), lookback: String(lookbackMs), limit: '1000000' });
  const res = await fetch(`${zipkinBase}/api/v2/traces?${q}`);
  if (!res.ok) throw new Error(`GET /api/v2/traces: HTTP ${res.status}`);
  return ((await res.json()) as ZipkinSpan[][]).flat();
}

/** Polls until `done(spans)` holds (then returns the spans) or the timeout passes (then returns the last read). */
export async function waitForSpans(zipkinBase: string, serviceName: string, done: (spans: ZipkinSpan[]) => boolean, timeoutMs = 30_000): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = await spansOf(zipkinBase, serviceName).catch(() => [] as ZipkinSpan[]);
    if (done(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Trace id -> number of spans. */
export function byTrace(spans: readonly ZipkinSpan[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of spans) m.set(s.traceId, (m.get(s.traceId) ?? 0) + 1);
  return m;
}
