import { freePort } from "./ports.js";
import { startProcess, waitForHttp, repoRoot, type RunningProcess } from "./proc.js";
import { join } from "node:path";
import { assertNested } from "./span-nesting.js";

/** Zipkin v2 JSON (zipkin2 model, `/api/v2/spans` and `/api/v2/trace/{id}`). */
export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}
export interface ZipkinAnnotation {
  /** epoch microseconds */
  timestamp: number;
  value: string;
}
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: "CLIENT" | "SERVER" | "PRODUCER" | "CONSUMER";
  /** epoch microseconds */
  timestamp?: number;
  /** microseconds */
  duration?: number;
  debug?: boolean;
  shared?: boolean;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: ZipkinAnnotation[];
  tags?: Record<string, string>;
}

let started: Promise<string> | undefined;
let own: RunningProcess | undefined;

/**
 * Base URL of the Zipkin the tests use: `ZIPKIN_URL` when set (the test script starts one shared
 * instance), else one started for this process on a free port, once, on first use.
 */
export function zipkinUrl(): Promise<string> {
  const fromEnv = process.env.ZIPKIN_URL;
  if (fromEnv) return Promise.resolve(fromEnv.replace(/\/+$/, ""));
  started ??= (async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // One definition of the Zipkin command line: the script's --foreground mode execs java.
    own = startProcess("bash", [join(repoRoot, "scripts", "start-zipkin.sh"), "--foreground"], {
      name: "zipkin",
      unref: true,
      env: { ZIPKIN_PORT: String(port), ZIPKIN_BIND: "127.0.0.1" },
    });
    await waitForHttp(`${url}/health`, { timeoutMs: 120_000, process: own });
    return url;
  })();
  return started;
}

/** Stops the Zipkin this process started, if any (it is killed at exit anyway). */
export async function stopOwnZipkin(): Promise<void> {
  await own?.stop();
  own = undefined;
  started = undefined;
}

/** Posts spans in Zipkin v2 JSON to `/api/v2/spans`. */
export async function postSpans(spans: readonly ZipkinSpan[]): Promise<void> {
  const res = await fetch(`${await zipkinUrl()}/api/v2/spans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spans),
  });
  if (res.status !== 202) throw new Error(`POST /api/v2/spans: HTTP ${res.status} ${await res.text()}`);
}

export interface GetTraceOptions {
  /** Wait until at least this many spans arrived (default 1). */
  minSpans?: number;
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Once minSpans are there, wait this long for stragglers and read again (default 500 ms). */
  settleMs?: number;
}

/** Polls `GET /api/v2/trace/{traceId}` until it has `minSpans` spans, then returns them all. */
export async function getTrace(traceId: string, options: GetTraceOptions = {}): Promise<ZipkinSpan[]> {
  const { minSpans = 1, timeoutMs = 15_000, settleMs = 500 } = options;
  const url = `${await zipkinUrl()}/api/v2/trace/${encodeURIComponent(traceId.toLowerCase())}`;
  const read = async (): Promise<ZipkinSpan[]> => {
    const res = await fetch(url);
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as ZipkinSpan[];
  };
  const deadline = Date.now() + timeoutMs;
  let spans = await read();
  while (spans.length < minSpans) {
    if (Date.now() >= deadline) {
      throw new Error(
        `trace ${traceId}: ${spans.length} of ${minSpans} spans after ${timeoutMs} ms: ` +
          JSON.stringify(spans.map((s) => s.name)),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    spans = await read();
  }
  if (settleMs > 0) {
    await new Promise((r) => setTimeout(r, settleMs));
    spans = await read();
  }
  assertNested(spans, `trace ${traceId}`);
  return spans;
}

export interface FindTracesOptions {
  serviceName?: string;
  spanName?: string;
  /** Zipkin annotationQuery, e.g. `error` or `http.route=/gradio_api/queue/join`. */
  annotationQuery?: string;
  /** How far back from now (default 15 min). */
  lookbackMs?: number;
  /** Most traces to return (default 100). */
  limit?: number;
}

/** `GET /api/v2/traces`: traces (each an array of spans) matching the query, newest first. */
export async function findTraces(options: FindTracesOptions = {}): Promise<ZipkinSpan[][]> {
  const query = new URLSearchParams({
    endTs: String(Date.now()),
    lookback: String(options.lookbackMs ?? 15 * 60_000),
    limit: String(options.limit ?? 100),
  });
  if (options.serviceName) query.set("serviceName", options.serviceName);
  if (options.spanName) query.set("spanName", options.spanName);
  if (options.annotationQuery) query.set("annotationQuery", options.annotationQuery);
  const url = `${await zipkinUrl()}/api/v2/traces?${query}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  const traces = (await res.json()) as ZipkinSpan[][];
  for (const spans of traces) assertNested(spans, `trace ${spans[0]?.traceId}`);
  return traces;
}
