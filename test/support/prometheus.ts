// A real Prometheus (Debian package, scripts/setup-prometheus.sh) for the metrics tests: its own
// config and TSDB in a temp dir, scraping given 127.0.0.1 targets every second, exemplar storage on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { runScript, startProcess, waitForHttp, type RunningProcess } from './proc.js';

export interface RunningPrometheus {
  readonly url: string;
  readonly process: RunningProcess;
  /** GET /api/v1/<path>: the `data` of a successful answer. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: readonly string[]): Promise<RunningPrometheus> {
  const bin = await runScript('setup-prometheus.sh');
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: tts-trace-proxy',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n'));
  const proc = startProcess(bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage',
  ], { name: 'prometheus' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ready`, { timeoutMs: 30_000, process: proc });
  return {
    url, process: proc,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
      return body.data;
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
