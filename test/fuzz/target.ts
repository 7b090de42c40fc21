// What the clients talk to: the real proxy process (restarted after a crash), or with --direct
// the hostile upstream itself, which makes every byte invariant hold trivially.
import { readFileSync } from 'node:fs';
import { startProxy, type RunningProxy } from '../support/proxy.js';
const COUNTER_FAMILIES = ['tts_proxy_export_exported_spans', 'tts_proxy_export_dropped_spans', 'tts_proxy_export_queue_spans', 'http_server_active_requests'].map((n) => `name=${n}`).join('&');

export interface ExportCounters {
  readonly exported: number;
  /** Spans the backend refused (HTTP 4xx): the whole batch is lost. */
  readonly rejected: number;
  /** Spans dropped for any other reason (queue full, encode error, retries exhausted, …). */
  readonly droppedOther: number;
  readonly queued: number;
  readonly active: number;
}

export interface Target {
  readonly direct: boolean;
  port(): number;
  alive(): boolean;
  /** `/healthz` answered 200 within `timeoutMs`. */
  healthy(timeoutMs: number): Promise<boolean>;
  counters(): Promise<ExportCounters | undefined>;
  rssBytes(): number | undefined;
  /** Why the process ended, with the tail of its stderr. */
  deathNote(): string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Sums the samples of `name` in a Prometheus text exposition whose labels match `filter`. */
export function sumMetric(text: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name || !filter(m[2] ?? '')) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

export class ProxyTarget implements Target {
  readonly direct = false;
  private proxy?: RunningProxy;

  constructor(private readonly upstreamUrl: string, private readonly zipkinUrl: string | undefined) {}

  async start(): Promise<void> {
    this.proxy = await startProxy({
      upstream: this.upstreamUrl,
      zipkinUrl: this.zipkinUrl,
      // Short export delay: a case's spans reach Zipkin before the next case is judged.
      env: { OTEL_BSP_SCHEDULE_DELAY: '20', TTS_PROXY_LOG_LEVEL: 'error', TTS_PROXY_UPSTREAM_IDLE_TIMEOUT_MS: '5000' },
      args: ['--access-log', '/dev/null'],
    });
  }

  port(): number { return this.proxy!.port; }

  alive(): boolean {
    const c = this.proxy?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  async healthy(timeoutMs: number): Promise<boolean> {
    try {
      const r = await fetch(`${this.proxy!.adminUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  }

  async counters(): Promise<ExportCounters | undefined> {
    // Only the families read here: the whole exposition grows with every label combination a run produces.
    try {
      const r = await fetch(`${this.proxy!.adminUrl}/metrics?${COUNTER_FAMILIES}`, { signal: AbortSignal.timeout(2000) });
      const text = await r.text();
      return {
        exported: sumMetric(text, 'tts_proxy_export_exported_spans_total'),
        rejected: sumMetric(text, 'tts_proxy_export_dropped_spans_total', (l) => l.includes('reason="rejected"')),
        droppedOther: sumMetric(text, 'tts_proxy_export_dropped_spans_total', (l) => !l.includes('reason="rejected"')),
        queued: sumMetric(text, 'tts_proxy_export_queue_spans'),
        active: sumMetric(text, 'http_server_active_requests'),
      };
    } catch {
      return undefined;
    }
  }

  rssBytes(): number | undefined {
    const pid = this.proxy?.child.pid;
    if (!pid || !this.alive()) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  deathNote(): string {
    const c = this.proxy?.child;
    const how = c ? `exit code ${c.exitCode}, signal ${c.signalCode}` : 'not started';
    return `${how}\n${(this.proxy?.stderr() ?? '').slice(-3000)}`;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.proxy && this.alive()) await this.proxy.stop('SIGKILL');
    this.proxy = undefined;
  }
}

export class DirectTarget implements Target {
  readonly direct = true;
  constructor(private readonly upstreamPort: number) {}
  port(): number { return this.upstreamPort; }
  alive(): boolean { return true; }
  async healthy(): Promise<boolean> { return true; }
  async counters(): Promise<undefined> { return undefined; }
  rssBytes(): undefined { return undefined; }
  deathNote(): string { return ''; }
  async restart(): Promise<void> {}
  async stop(): Promise<void> {}
}
