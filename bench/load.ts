// Child-process script: one measurement with autocannon, run in-process *in this child*. The load
// generator gets its own process (a fresh one per measurement) so that it shares an event loop
// with neither the span sink nor the orchestration, and no JIT/GC state carries over from one
// target to the next. autocannon's worker-thread mode is not used: it cannot run the
// setupClient hook below as a closure, and a second loader thread would only take CPU from the
// processes being measured on this 2-core machine.
//
// Protocol: argv[2] is a JSON LoadSpec. Prints `main-start` when the discarded warm-up is over
// and the measured run begins (the parent samples CPU counters then), and finally one JSON line
// (`result {...}`) with the LoadResult.
//
// Latency percentiles come from our own samples of autocannon's per-response duration (float
// ms from process.hrtime) rather than autocannon's histogram, which records whole milliseconds
// and would round a sub-millisecond direct p50 to 0 or 1.
import autocannon from 'autocannon';
import { isWavFile } from './wav-file.js';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Record time to the first body byte (the first SSE event). */
  ttfe: boolean;
  /** How many `\n\n`-terminated SSE events a correct response has (0: a JSON body with event_id). */
  sseEvents: number;
  /** A correct body that is not an event stream: the join's JSON answer (with an event_id), the static asset, or the WAV file. */
  expect?: 'event_id' | 'asset' | 'file';
  /** Requests per second offered over all connections (autocannon's overallRate); unset: as fast as answered. */
  rate?: number;
  /**
   * A Gradio prediction as a page makes it: `url` is the app's root, and each unit is a POST to
   * queue/join with a session of its own, then GET queue/data for that session, read to its end
   * (`sseEvents` events). Requests, rates and latencies then count predictions, not HTTP requests.
   */
  prediction?: { joinBody: Record<string, unknown> };
}

export interface Percentiles { p50: number; p90: number; p99: number; max: number; mean: number; n: number }

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: Percentiles;
  ttfeMs?: Percentiles;
  /** autocannon's own (integer-ms histogram) view, kept for cross-checking. */
  autocannon: { p50: number; p99: number; rpsAverage: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** CPU seconds this load generator used during the measured run. */
  cpuS: number;
}

class Samples {
  private buf = new Float64Array(1 << 16);
  private n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  // Nearest-rank percentiles.
  summary(): Percentiles {
    const s = this.buf.subarray(0, this.n).sort();
    const at = (p: number): number => (this.n ? s[Math.min(this.n - 1, Math.max(0, Math.ceil(p * this.n) - 1))]! : NaN);
    let sum = 0;
    for (const v of s) sum += v;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: this.n ? s[this.n - 1]! : NaN, mean: this.n ? sum / this.n : NaN, n: this.n };
  }
}

function verifier(spec: LoadSpec): (body: string | Buffer | undefined) => boolean {
  if (spec.sseEvents > 0) return (body) => String(body ?? '').split('\n\n').length - 1 === spec.sseEvents;
  if (spec.expect === 'file') return (body) => isWavFile(String(body ?? ''));
  if (spec.expect === 'asset') return (body) => { const b = String(body ?? ''); return b.length > 19_000 && b.startsWith('/* app bundle */'); };
  return (body) => String(body ?? '').includes('"event_id"');
}

/** The JSON answer to a join: what the stream of its session is then asked for. */
const isJoinAnswer = (body: string): boolean => body.includes('"event_id"');

let sessions = 0;

/** A join, then its session's stream: one prediction, two requests on one connection. */
function predictionRequests(spec: LoadSpec): autocannon.Request[] {
  const joinBody = spec.prediction!.joinBody;
  return [
    {
      method: 'POST', path: '/gradio_api/queue/join', headers: { 'content-type': 'application/json' },
      setupRequest(req, context) {
        // A session per prediction, as many pages each make one (the pid keeps them distinct
        // across measurements): no one session's table fills up.
        const session = `bench${process.pid.toString(36)}x${(sessions++).toString(36)}`;
        (context as { session?: string }).session = session;
        return { ...req, body: JSON.stringify({ ...joinBody, session_hash: session }) };
      },
    },
    {
      method: 'GET', headers: { accept: 'text/event-stream' },
      setupRequest(req, context) {
        return { ...req, path: `/gradio_api/queue/data?session_hash=${(context as { session?: string }).session}` };
      },
    },
  ];
}

/** HTTP requests per unit the spec counts: two per prediction. */
const requestsPerUnit = (spec: LoadSpec): number => (spec.prediction ? 2 : 1);

function baseOptions(spec: LoadSpec, durationS: number): autocannon.Options {
  const verify = verifier(spec);
  return {
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
    verifyBody: spec.prediction ? (body) => isJoinAnswer(String(body ?? '')) || verify(body) : verify,
    ...(spec.prediction ? { requests: predictionRequests(spec) } : {}),
    ...(spec.rate ? { overallRate: spec.rate * requestsPerUnit(spec) } : {}),
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;

  // Warm-up: same connections and payload, result thrown away (JIT, pools, nginx keep-alive).
  if (spec.warmupS > 0) await autocannon(baseOptions(spec, spec.warmupS));

  const unit = requestsPerUnit(spec);
  const latency = new Samples();
  const ttfe = new Samples();
  process.stdout.write('main-start\n');
  const cpu0 = process.cpuUsage();
  const result = await autocannon({
    ...baseOptions(spec, spec.durationS),
    setupClient(client) {
      // One request in flight per connection (pipelining 1), so per-client state is enough.
      // 'request' is emitted right before the request is written; 'body' per body chunk.
      const ee = client as unknown as NodeJS.EventEmitter;
      let sentAt = 0n;
      let first = true;
      // A prediction's latency runs from its join to its stream's end: every other request and response.
      let sent = 0;
      let answered = 0;
      ee.on('request', () => {
        if (sent++ % unit) return;
        sentAt = process.hrtime.bigint();
        first = true;
      });
      if (spec.ttfe) {
        ee.on('body', () => {
          if (!first) return;
          first = false;
          ttfe.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        });
      }
      ee.on('response', (_status: number, _bytes: number, durationMs: number) => {
        if (unit === 1) latency.push(durationMs);
        else if (++answered % unit === 0) latency.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      });
    },
  });
  const cpu = process.cpuUsage(cpu0);

  const out: LoadResult = {
    requests: result.requests.total / unit,
    durationS: result.duration,
    rps: result.requests.total / unit / result.duration,
    latencyMs: latency.summary(),
    ttfeMs: spec.ttfe ? ttfe.summary() : undefined,
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, rpsAverage: result.requests.average / unit },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: (result as unknown as { mismatches?: number }).mismatches ?? 0,
    cpuS: (cpu.user + cpu.system) / 1e6,
  };
  process.stdout.write(`result ${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`load: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
