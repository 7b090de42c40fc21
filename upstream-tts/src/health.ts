// GET /healthz: liveness plus what an operator (or a test) needs to judge the worker: the pool's
// threads, the execution provider, the queue, and the HTTP thread's event-loop delay over the
// current window (`?reset=1` starts a new window after answering).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { PoolStats } from './pool/pool.js';

export interface HealthSources {
  pool(): PoolStats;
  provider(): string;
  voice: string;
  queue(): { waiting: number; running: number };
  files(): number;
  sessions(): number;
}

const ns = (v: number): number => Math.round(v / 1e4) / 100; // ns -> ms, 2 decimals

export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram;

  constructor(resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  snapshot(reset: boolean) {
    const h = this.histogram;
    const out = { samples: h.count, p50_ms: ns(h.percentile(50)), p99_ms: ns(h.percentile(99)), max_ms: ns(h.max) };
    if (reset) h.reset();
    return out;
  }

  close(): void {
    this.histogram.disable();
  }
}

export function healthBody(sources: HealthSources, loop: EventLoopMonitor, reset: boolean) {
  const pool = sources.pool();
  return {
    status: pool.ready > 0 ? 'ok' : 'starting',
    voice: sources.voice,
    execution_provider: sources.provider(),
    pool,
    queue: sources.queue(),
    files: sources.files(),
    sessions: sources.sessions(),
    event_loop_delay: loop.snapshot(reset),
  };
}
