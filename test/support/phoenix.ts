// A real OTLP/HTTP receiver for the OTLP export tests: Arize Phoenix from PyPI
// (scripts/setup-otlp-receiver.sh). It takes OTLP/HTTP protobuf on /v1/traces and lists what it
// received on /v1/projects/<project>/spans.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { runScript, startProcess, waitForHttp, type RunningProcess } from './proc.js';

export interface PhoenixSpan {
  readonly name: string;
  readonly context: { readonly trace_id: string; readonly span_id: string };
  readonly parent_id: string | null;
  readonly span_kind: string;
  readonly status_code: string;
  readonly attributes: Record<string, unknown>;
}

export interface RunningPhoenix {
  readonly url: string;
  readonly process: RunningProcess;
  spans(project: string): Promise<PhoenixSpan[]>;
  stop(): Promise<void>;
}

export async function startPhoenix(): Promise<RunningPhoenix> {
  const bin = await runScript('setup-otlp-receiver.sh');
  const [port, grpcPort] = [await freePort(), await freePort()];
  const workDir = mkdtempSync(join(tmpdir(), 'phoenix-'));
  const proc = startProcess(bin, ['serve'], {
    name: 'phoenix',
    env: {
      PHOENIX_WORKING_DIR: workDir, PHOENIX_HOST: '127.0.0.1',
      PHOENIX_PORT: String(port), PHOENIX_GRPC_PORT: String(grpcPort), PHOENIX_TELEMETRY_ENABLED: 'false',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { timeoutMs: 90_000, process: proc });
  return {
    url, process: proc,
    async spans(project) {
      const out: PhoenixSpan[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
        const res = await fetch(`${url}/v1/projects/${encodeURIComponent(project)}/spans?${q}`);
        if (res.status === 404) return [];
        if (!res.ok) throw new Error(`phoenix spans: HTTP ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { data: PhoenixSpan[]; next_cursor: string | null };
        out.push(...body.data);
        cursor = body.next_cursor;
      } while (cursor);
      return out;
    },
    async stop() {
      await proc.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
