// Reads a time window of traces back from Zipkin's query API. `/api/v2/traces` takes only
// endTs + lookback + limit and returns at most `limit` traces (the newest), so the window is
// walked in slices: a slice that comes back full is split in two halves and each half is read
// again, until every slice returns fewer than `limit` traces. Slices share their boundary
// millisecond (Zipkin's bounds are inclusive and timestamps are in microseconds), so nothing
// falls between two of them; the overlap is removed by deduplicating on the trace id.
import type { ZipkinSpan } from './aggregate.js';

export class ZipkinQueryError extends Error {
  readonly code = 'TTS_REPORT_ERR_ZIPKIN';

  /** `status`: the HTTP status Zipkin answered, when it answered. */
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export interface QueryOptions {
  /** Zipkin base URL, e.g. http://127.0.0.1:9411 (see normalizeZipkinUrl). */
  readonly baseUrl: string;
  readonly serviceName: string;
  /** Window, epoch ms, both inclusive. */
  readonly startMs: number;
  readonly endMs: number;
  /** Traces per query (Zipkin's `limit`). */
  readonly limit: number;
  /** Per request, ms (default 30 s). */
  readonly timeoutMs?: number;
  /** Most queries before giving up (the result is then marked truncated). Default 10 000. */
  readonly maxQueries?: number;
  /** Wait before asking again after a 5xx, doubled each time (default 1 s; three tries in all). */
  readonly retryDelayMs?: number;
  readonly fetch?: typeof fetch;
}

export interface QueryResult {
  traces: ZipkinSpan[][];
  /** Requests made. */
  queries: number;
  /** Some slice was still full at 1 ms, or maxQueries was reached: traces may be missing. */
  truncated: boolean;
}

/**
 * Accepts what people paste: the base URL, the UI URL (`…/zipkin/`) or the span endpoint
 * (`…/api/v2/spans`); returns the base without a trailing slash.
 */
export function normalizeZipkinUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ZipkinQueryError(`--zipkin: "${raw}" is not a URL (e.g. http://127.0.0.1:9411)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ZipkinQueryError(`--zipkin: "${raw}" is not an http(s) URL`);
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/api\/v2(\/spans|\/traces)?$/, '').replace(/\/zipkin$/, '');
  return url.href.replace(/\/+$/, '');
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

async function getJson(url: string, base: string, timeoutMs: number, doFetch: typeof fetch): Promise<unknown> {
  let res: Response;
  try {
    res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new ZipkinQueryError(`Zipkin at ${base} did not answer within ${timeoutMs / 1000} s`);
    throw new ZipkinQueryError(`cannot reach Zipkin at ${base}: ${describe(err)}`);
  }
  const text = await res.text().catch((err: unknown) => {
    throw new ZipkinQueryError(`Zipkin at ${base}: reading the answer failed: ${describe(err)}`);
  });
  if (!res.ok) {
    throw new ZipkinQueryError(`Zipkin at ${base} answered HTTP ${res.status} to ${new URL(url).pathname}: ${text.slice(0, 200).trim()}`, res.status);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ZipkinQueryError(`Zipkin at ${base}: the answer to ${new URL(url).pathname} is not JSON (is this a Zipkin?)`);
  }
}

const TRIES = 3;

/**
 * A 5xx is asked again, with a growing pause: Zipkin answers 500 RequestTimeoutException when a
 * query over a large in-memory store outlasts its own query timeout (found beside stress-ng), and
 * that is a busy backend, not a failed one. Other failures are final at once.
 */
async function getJsonRetrying(url: string, base: string, timeoutMs: number, doFetch: typeof fetch, delayMs: number): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getJson(url, base, timeoutMs, doFetch);
    } catch (err) {
      if (attempt >= TRIES || !(err instanceof ZipkinQueryError && err.status !== undefined && err.status >= 500)) throw err;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** (attempt - 1)));
    }
  }
}

/** All traces of the service with a span in [startMs, endMs], deduplicated by trace id. */
export async function queryTraces(o: QueryOptions): Promise<QueryResult> {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const maxQueries = o.maxQueries ?? 10_000;
  const byId = new Map<string, ZipkinSpan[]>();
  let queries = 0;
  let truncated = false;
  // Newest slice first, as Zipkin orders; a stack of [start, end] (ms, inclusive).
  const stack: [number, number][] = [[o.startMs, Math.max(o.endMs, o.startMs + 1)]];
  while (stack.length) {
    if (queries >= maxQueries) { truncated = true; break; }
    const [start, end] = stack.pop()!;
    const q = new URLSearchParams({
      serviceName: o.serviceName,
      endTs: String(end),
      lookback: String(end - start),
      limit: String(o.limit),
    });
    const url = `${o.baseUrl}/api/v2/traces?${q}`;
    queries++;
    const body = await getJsonRetrying(url, o.baseUrl, timeoutMs, doFetch, o.retryDelayMs ?? 1000);
    if (!Array.isArray(body) || !body.every(Array.isArray)) {
      throw new ZipkinQueryError(`Zipkin at ${o.baseUrl}: /api/v2/traces did not answer a list of traces`);
    }
    const traces = body as ZipkinSpan[][];
    if (traces.length >= o.limit) {
      if (end - start >= 2) {
        const mid = Math.floor((start + end) / 2);
        stack.push([start, mid], [mid, end]); // the newer half is popped first
        continue;
      }
      truncated = true; // more than `limit` traces within 2 ms: keep what came back
    }
    for (const trace of traces) {
      const id = trace[0]?.traceId;
      if (!id) continue;
      const prev = byId.get(id);
      // The same trace read twice (slice overlap, or spans arriving meanwhile): keep the fuller copy.
      if (!prev || trace.length > prev.length) byId.set(id, trace);
    }
  }
  return { traces: [...byId.values()], queries, truncated };
}
