// A real Jaeger v2 (scripts/setup-jaeger.sh builds it from the Go module proxy) on free ports,
// with test/support/jaeger.yaml: OTLP/HTTP in, memory storage, the query API out.
import { join } from 'node:path';
import { freePort } from './ports.js';
import { repoRoot, runScript, startProcess, waitForHttp, type RunningProcess } from './proc.js';

/** A span as Jaeger's query API (`GET /api/traces/{id}`) returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  logs: { timestamp: number; fields: { key: string; type: string; value: unknown }[] }[];
  processID: string;
}

export interface RunningJaeger {
  /** OTLP/HTTP base URL (the exporter appends /v1/traces). */
  readonly otlpUrl: string;
  readonly queryUrl: string;
  readonly process: RunningProcess;
  /** The trace's spans once at least `minSpans` are stored (polls for up to `timeoutMs`). */
  trace(traceId: string, minSpans?: number, timeoutMs?: number): Promise<JaegerSpan[]>;
  stop(): Promise<void>;
}

export async function startJaeger(): Promise<RunningJaeger> {
  const bin = await runScript('setup-jaeger.sh');
  const [otlp, query, queryGrpc, health] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const proc = startProcess(bin, ['--config', `file:${join(repoRoot, 'test', 'support', 'jaeger.yaml')}`], {
    name: 'jaeger',
    env: {
      JAEGER_OTLP_HTTP_PORT: String(otlp), JAEGER_QUERY_PORT: String(query),
      JAEGER_QUERY_GRPC_PORT: String(queryGrpc), JAEGER_HEALTH_PORT: String(health),
    },
  });
  await waitForHttp(`http://127.0.0.1:${health}/status`, { timeoutMs: 60_000, process: proc });
  const queryUrl = `http://127.0.0.1:${query}`;
  await waitForHttp(`${queryUrl}/api/services`, { timeoutMs: 30_000, process: proc });
  return {
    otlpUrl: `http://127.0.0.1:${otlp}`,
    queryUrl,
    process: proc,
    async trace(traceId, minSpans = 1, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
        const body = res.ok ? ((await res.json()) as { data?: { spans: JaegerSpan[] }[] }) : undefined;
        const spans = body?.data?.[0]?.spans ?? [];
        if (spans.length >= minSpans) return spans;
        if (Date.now() > end) throw new Error(`Jaeger: trace ${traceId} has ${spans.length} of ${minSpans} spans after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: () => proc.stop(),
  };
}
