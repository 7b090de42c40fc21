// Open-loop load for the sampling and outage tests: requests start at a fixed rate whatever the
// proxy does (a slow proxy shows up as latency, not as fewer requests), always to 127.0.0.1, and
// stop by themselves after a bounded count or time.
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

export interface Sample {
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly status: number;
  readonly traceId?: string;
  /** traceresponse flags: the head decision the proxy made. */
  readonly sampled?: boolean;
  readonly error?: string;
  /** Body bytes received. */
  readonly bytes?: number;
}

export function once(url: string, headers: OutgoingHttpHeaders = {}, agent?: Agent): Promise<Sample> {
  const startedAt = Date.now();
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request(url, { headers, agent: agent ?? false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => {
        const tr = String(res.headers.traceresponse ?? '');
        resolve({
          startedAt, latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0,
          traceId: res.headers['x-trace-id'] as string | undefined, sampled: tr ? tr.endsWith('-01') : undefined, bytes,
        });
      });
      res.on('error', (e) => resolve({ startedAt, latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, status: 0, error: e.message }));
    });
    req.on('error', (e) => resolve({ startedAt, latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, status: 0, error: e.message }));
    req.end();
  });
}

/** `count` requests with at most `concurrency` in flight; `make(i)` gives each one's path and headers. */
export async function burst(base: string, count: number, concurrency: number, make: (i: number) => { path: string; headers?: OutgoingHttpHeaders }): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const out: Sample[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const { path, headers } = make(i);
      out[i] = await once(`${base}${path}`, headers, agent);
    }
  }));
  agent.destroy();
  return out;
}

export interface SteadyLoad {
  /** Samples so far (all of them, in start order). */
  readonly samples: Sample[];
  /** Stops starting requests and waits for those in flight. */
  stop(): Promise<Sample[]>;
}

/** `rps` requests per second to `url` until stop() or `maxMs`, keep-alive like nginx in front. */
export function steadyLoad(url: string, rps: number, maxMs: number, headers: OutgoingHttpHeaders = {}): SteadyLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const samples: Sample[] = [];
  const inflight = new Set<Promise<void>>();
  const started = Date.now();
  let n = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (Date.now() - started > maxMs) { stopped = true; return; }
    // Catch up to the schedule (timers on a busy machine fire late), never beyond it.
    const due = Math.floor(((Date.now() - started) / 1000) * rps);
    while (n < due) {
      n++;
      const p = once(url, headers, agent).then((s) => { samples.push(s); inflight.delete(p); });
      inflight.add(p);
    }
  };
  const timer = setInterval(tick, Math.max(1, Math.floor(1000 / rps / 2)));
  return {
    samples,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inflight]);
      agent.destroy();
      return samples.sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Middle value of the finite ones; the mean of the two middle ones for an even count; NaN for none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}
