// `npm run bench`: throughput and latency of the ways to reach the same app, measured one after
// another in ONE run on 127.0.0.1, so their ratios compare like with like:
//   direct        load → upstream
//   plain-proxy   load → bare http-proxy (the traced proxy's options: xfwd, keep-alive agent,
//                 preserveHeaderKeyCase; nothing else) → upstream
//   traced        load → tts-trace-proxy (real CLI, 100% sampled, Zipkin export) → upstream
//   nginx+traced  load → nginx (repo template) → tts-trace-proxy → upstream
//   traced …      the traced proxy with one switch off (exporter, access log, Gradio, ratio 0.01)
// for five payloads: a ~20 KB static asset GET, a ~200-byte JSON POST answered with a small JSON
// (a distinct event_id each), an SSE stream (10 events 5 ms apart), a 256 KiB WAV download
// (direct, plain-proxy and traced only), and a whole prediction (that join, then its stream).
// For each proxy it prints req/s and CPU µs per request against plain http-proxy. Every box above
// is its own process; the load generator is autocannon in a fresh child process per measurement
// (see load.ts for why). Then the head ratio inside one
// traced process (1.0 against 0.01, switched through its admin API). Then memory (memory.ts): 1,000
// held SSE streams and uploads of 20 and 200 MiB, each on a fresh proxy process (and 20 MiB again on
// processes left to settle after start-up). Nothing is asserted: the
// numbers are printed, and written as JSON with --out PATH.
//
// usage: node dist/bench/run.js [--out PATH] [--rounds N] [--duration S] [--warmup S] [--settle S] [--connections N]
// env:   ZIPKIN_URL=http://host:9411   export to that Zipkin instead of the built-in span sink
//        BENCH_PROXY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   node flags for the traced proxy
import { writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { LoadResult, LoadSpec } from './load.js';
import { isWavFile, WAV_FILE_BYTES } from './wav-file.js';
import { median } from '../test/support/load.js';
import { startSink, type SpanSink } from './sink.js';
import { holdStreams, uploadOnce, type StreamsResult, type UploadResult } from './memory.js';
import {
  LOAD_JS, cpuSecondsOf, cpuSplitOf, machineBusySeconds, spawnChild, startNginxFront, startPlainProxy, startTracedProxy, startUpstream,
  stopAllChildren, type CpuSplit, type Target,
} from './targets.js';

// ---- configuration ----

interface Options { out?: string; rounds: number; durationS: number; warmupS: number; settleS: number; connections: number; equalRate: number }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { rounds: 3, durationS: 6, warmupS: 2, settleS: 4, connections: 16, equalRate: EQUAL_RATE };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = (min: number, max: number): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${a}: expected a number in [${min}, ${max}], got "${v}"`);
      i += 1;
      return n;
    };
    if (a === '--out' && v) { o.out = v; i += 1; }
    // Upper bounds keep a whole run within a few minutes whatever is passed.
    else if (a === '--rounds') o.rounds = Math.round(num(1, 5));
    else if (a === '--duration') o.durationS = num(1, 20);
    else if (a === '--warmup') o.warmupS = num(0, 10);
    else if (a === '--settle') o.settleS = num(0, 20);
    else if (a === '--connections') o.connections = Math.round(num(1, 256));
    else if (a === '--equal-rate') o.equalRate = Math.round(num(0, 20_000));
    else if (a === '--help') {
      process.stdout.write(`usage: node dist/bench/run.js [--out PATH] [--rounds N (3)] [--duration S (6)] [--warmup S (2)] [--settle S (4)] [--connections N (16)] [--equal-rate R (${EQUAL_RATE}; 0: skip)]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument "${a}" (see --help)`);
  }
  return o;
}

const SSE_EVENTS = 10;
/**
 * Run as fast as it answers, a saturated proxy's peers (the load generator, the app) wait for it,
 * and each of its writes pays a sleeping peer's wake-up in kernel time; the untraced proxy, twice
 * as fast, meets its peers awake more often. So CPU per request is also compared at one offered
 * load that both proxies answer without saturating: what tracing costs an operator at a given
 * request rate. Below the traced proxy's join throughput on a 2-core machine.
 */
const EQUAL_RATE = 2000;
const EQUAL_PAYLOADS: readonly string[] = ['static', 'json'];
const EQUAL_TARGETS: readonly string[] = ['plain-proxy', 'traced', 'traced ratio=0.01'];
/** Below this share of the offered rate a target could not keep up: its row is saturated, not at the offered load. */
const EQUAL_RATE_REACHED = 0.95;
const MEMORY_STREAMS = 1000;
const MEMORY_HOLD_MS = 3000;
const MEMORY_UPLOAD_BYTES = 20 << 20;
// The body chunks a proxy reads are freed only when V8 next collects, so an upload's growth is
// the bytes that passed since the last collection: it depends on the heap's state (a warmed plain
// proxy grows 22 MiB on the same upload), so the row is the median of fresh processes, and a
// ten times larger upload shows whether growth follows the body (buffering) or stays bounded.
const MEMORY_UPLOAD_RUNS = 5;
const MEMORY_LARGE_UPLOAD_BYTES = 200 << 20;
const MEMORY_LARGE_UPLOAD_RUNS = 3;
// A process just started is not the one users meet: start-up grows V8's young generation, and
// V8's memory reducer shrinks it again once the process has been quiet for about 8 s. The same
// 20 MiB upload is measured on processes left alone this long after start-up as well.
const MEMORY_SETTLE_MS = 12_000;
const MEMORY_SETTLED_RUNS = 3;
const SSE_INTERVAL_MS = 5;

// A Gradio /queue/join body padded to ~200 bytes.
const JOIN_BODY = JSON.stringify({
  data: ['Hello there, this is a short sentence for the speech model to read aloud.', 'en-US-neutral', 1.0],
  event_data: null, fn_index: 0, trigger_id: 12, session_hash: 'k3j4h5g6f7d8',
});

interface Payload {
  readonly name: 'static' | 'json' | 'sse' | 'file' | 'prediction';
  readonly spec: (url: string, o: Options) => LoadSpec;
  /** The sanity check of one answer's body. */
  readonly ok: (body: string) => boolean;
  /** Only these targets carry it (all when unset). */
  readonly targets?: readonly string[];
}

const PAYLOADS: readonly Payload[] = [
  {
    name: 'static',
    spec: (url, o) => ({
      url: `${url}/assets/index.js`, method: 'GET', headers: {},
      connections: o.connections, warmupS: o.warmupS, durationS: o.durationS, ttfe: false, sseEvents: 0, expect: 'asset',
    }),
    ok: (body) => body.length > 19_000 && body.startsWith('/* app bundle */'),
  },
  {
    name: 'json',
    spec: (url, o) => ({
      url: `${url}/gradio_api/queue/join`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JOIN_BODY,
      connections: o.connections, warmupS: o.warmupS, durationS: o.durationS, ttfe: false, sseEvents: 0,
    }),
    ok: (body) => body.includes('"event_id"'),
  },
  {
    name: 'sse',
    spec: (url, o) => ({
      url: `${url}/gradio_api/queue/data?session_hash=k3j4h5g6f7d8`, method: 'GET', headers: { accept: 'text/event-stream' },
      connections: o.connections, warmupS: o.warmupS, durationS: o.durationS, ttfe: true, sseEvents: SSE_EVENTS,
    }),
    ok: (body) => body.split('\n\n').length - 1 === SSE_EVENTS,
  },
  {
    // What a TTS page downloads most: bodies that large pass in buffers outside V8's heap, which
    // V8 weighs when it decides to collect the whole heap (proxy/src/node-flags.ts).
    name: 'file',
    spec: (url, o) => ({
      url: `${url}/gradio_api/file=/tmp/gradio/bench/speech.wav`, method: 'GET', headers: {},
      connections: o.connections, warmupS: o.warmupS, durationS: o.durationS, ttfe: false, sseEvents: 0, expect: 'file',
    }),
    ok: isWavFile,
    targets: ['direct', 'plain-proxy', 'traced'],
  },
  {
    // The join above never meets its stream, so every one of its predictions ends abandoned: an
    // error, which the tail keeps at any head ratio (up to its keep budget). This is the path a
    // page takes: each unit is a join and then its session's stream read to `process_completed`,
    // and counts as one request.
    name: 'prediction',
    spec: (url, o) => ({
      url, method: 'POST', headers: {}, prediction: { joinBody: JSON.parse(JOIN_BODY) as Record<string, unknown> },
      connections: o.connections, warmupS: o.warmupS, durationS: o.durationS, ttfe: false, sseEvents: SSE_EVENTS,
    }),
    ok: (body) => body.split('\n\n').length - 1 === SSE_EVENTS,
  },
];

const carries = (payload: Payload, target: { name: string }): boolean => !payload.targets || payload.targets.includes(target.name);

interface Ablation { readonly name: string; readonly env?: NodeJS.ProcessEnv; readonly args?: readonly string[]; readonly plain?: boolean }

/** The traced proxy with one switch each turned off: where its cost comes from. */
const ABLATIONS: readonly Ablation[] = [
  { name: 'traced exporter=none', env: { OTEL_TRACES_EXPORTER: 'none' } },
  { name: 'traced log=off', env: { TTS_PROXY_ACCESS_LOG: 'off' } },
  { name: 'traced gradio=off', args: ['--gradio', 'false'] },
  { name: 'traced ratio=0.01', env: { OTEL_TRACES_SAMPLER_ARG: '0.01' } },
];

/**
 * The head ratio's own cost, measured in one process: consecutive processes of one build differ
 * by more (up to about 15% CPU per request) than sampling 1% instead of all can save, so the
 * ratio=0.01 row above, a process of its own, cannot show it. One traced proxy's ratio is switched
 * through its admin API (POST/DELETE /admin/sampling) between measured windows, in the order
 * 1.0, 0.01, 0.01, 1.0, … so that neither ratio always comes first.
 */
const PAIRED_RATIO = 0.01;
const PAIRED_WINDOWS = 4;
const PAIRED_PAYLOADS = ['static', 'json', 'prediction'];
// Only the bench's own proxy on 127.0.0.1 ever sees it.
const PAIRED_ADMIN_TOKEN = 'bench-paired-ratio';
const PAIRED_TARGET = 'traced (paired ratio)';

/**
 * What each switch saves, side by side. The ablation rows are processes of their own, measured
 * one after another, and consecutive processes of one build differ by up to about 15% in CPU per
 * request, more than most switches save (a `log=off` row has come out dearer than the traced
 * one). Here a fresh traced proxy and a fresh ablated one start together, settle together and are
 * loaded at the same time, so both meet the same machine; each pair gives one ratio of their CPU
 * per request, and the row is the median over the pairs. `traced core` has every switch off:
 * what no switch removes (the forwarding policy, the request's lifecycle, its SERVER and CLIENT
 * spans recorded, the metrics, the trace headers). The head ratio has its own section.
 *
 * Plain `http-proxy` is the last switch: everything off. The rounds measure each proxy alone and
 * saturated, where the slower traced proxy leaves its peers (load generator, app) idle more often
 * and, by the kernel time measured there (docs/operations.md), pays more for waking them; loaded
 * together, both meet the same busy peers. The rounds stay the issue's measure; this row says how
 * far the two measures part.
 */
const PLAIN_SIDE: Ablation = { name: 'plain http-proxy', plain: true };
const SIDE_BY_SIDE: readonly Ablation[] = [
  ...ABLATIONS.filter((a) => a.name !== 'traced ratio=0.01'),
  { name: 'traced core', env: { OTEL_TRACES_EXPORTER: 'none', TTS_PROXY_ACCESS_LOG: 'off' }, args: ['--gradio', 'false'] },
  PLAIN_SIDE,
];
const SIDE_BY_SIDE_PAIRS = 4;
const SIDE_BY_SIDE_PAYLOADS = ['static', 'json'];

// ---- measurement ----

/** Every process that could use CPU during a measurement, by role. */
type Roles = Record<string, () => number[]>;
const MACHINE = 'machine';
/** Busy CPU not charged to any process above: the kernel's loopback networking (softirq) and other processes on the box. */
const REST = 'rest';
/** Above this, "rest" is more than loopback networking: another workload shared the cores. */
const NOISY_REST_CORES = 0.3;

interface Measurement {
  target: string;
  payload: string;
  /** Which pass over the targets (0-based): every round measures each target once, in the same order. */
  round: number;
  result: LoadResult;
  /** Average cores used by each role during the measured window (the load generator's own figure included). */
  cores: Record<string, number>;
  /** Spans the sink received during the measured window (undefined with a real Zipkin). */
  spansInWindow?: number;
  /** The compared proxy's CPU µs per request by where it ran (main thread user/kernel, other threads). */
  split?: CpuSplit;
}

function cpuSnapshot(roles: Roles): Record<string, number> {
  const snap: Record<string, number> = {};
  for (const [role, pids] of Object.entries(roles)) snap[role] = pids().reduce((s, pid) => s + cpuSecondsOf(pid), 0);
  const self = process.cpuUsage();
  snap['bench+sink'] = (self.user + self.system) / 1e6;
  snap[MACHINE] = machineBusySeconds();
  return snap;
}

async function measure(target: Target, payload: Payload, round: number, o: Options, roles: Roles, sink?: SpanSink): Promise<Measurement> {
  type Snapshot = { cpu: Record<string, number>; at: bigint; spans: number; split?: CpuSplit };
  let before: Snapshot | undefined;
  let after: Snapshot | undefined;
  let result: LoadResult | undefined;
  const proxyPids = roles[PROXY_ROLE[target.name] ?? '']?.();
  const proxyPid = proxyPids?.length === 1 ? proxyPids[0] : undefined;
  const snapshot = (): Snapshot => ({ cpu: cpuSnapshot(roles), at: process.hrtime.bigint(), spans: sink?.spans() ?? 0, split: proxyPid === undefined ? undefined : cpuSplitOf(proxyPid) });
  const child = spawnChild(`load ${target.name}/${payload.name}`, process.execPath, [LOAD_JS, JSON.stringify(payload.spec(target.url, o))], {
    onLine: (line) => {
      if (line === 'main-start') before = snapshot();
      else if (line.startsWith('result ')) {
        after = snapshot();
        result = JSON.parse(line.slice('result '.length)) as LoadResult;
      }
    },
  });
  const code = await child.exited;
  if (code !== 0 || !result || !before || !after) throw new Error(`load generator for ${target.name}/${payload.name} failed (${code}):\n${child.output()}`);
  const wallS = Number(after.at - before.at) / 1e9;
  const cores: Record<string, number> = { load: result.cpuS / wallS };
  for (const role of Object.keys(after.cpu)) if (role !== MACHINE) cores[role] = (after.cpu[role]! - before.cpu[role]!) / wallS;
  const machine = (after.cpu[MACHINE]! - before.cpu[MACHINE]!) / wallS;
  cores[REST] = Math.max(0, machine - Object.values(cores).reduce((a, b) => a + b, 0));
  const requests = result.rps * wallS;
  const split = before.split && after.split && requests > 0 ? {
    mainUser: ((after.split.mainUser - before.split.mainUser) / requests) * 1e6,
    mainSystem: ((after.split.mainSystem - before.split.mainSystem) / requests) * 1e6,
    otherThreads: ((after.split.otherThreads - before.split.otherThreads) / requests) * 1e6,
  } : undefined;
  return { target: target.name, payload: payload.name, round, result, cores, spansInWindow: sink ? after.spans - before.spans : undefined, split };
}

/**
 * Every payload through a freshly started proxy for `settleS` seconds each, unmeasured, before its
 * first measurement. V8 compiles a hot function on helper threads a few seconds into the load,
 * and the traced proxy has many times the plain one's code to compile: behind a 2 s warm-up its
 * join still spent 10-15 µs per request compiling, in the window (issue 10). What an operator's
 * long-running proxy costs is the settled figure; the plain proxy settles within its warm-up.
 */
async function settle(targets: readonly Target[], o: Options, payloads: readonly Payload[] = PAYLOADS): Promise<void> {
  if (o.settleS <= 0) return;
  for (const target of targets) {
    if (target.name === 'direct') continue;
    for (const payload of payloads) {
      if (!carries(payload, target)) continue;
      const spec = payload.spec(target.url, { ...o, warmupS: 0, durationS: o.settleS });
      const child = spawnChild(`settle ${target.name}/${payload.name}`, process.execPath, [LOAD_JS, JSON.stringify(spec)]);
      const code = await child.exited;
      if (code !== 0) throw new Error(`load generator for ${target.name}/${payload.name} (settling) failed (${code}):\n${child.output()}`);
    }
  }
}

async function answerTo(url: string, init: RequestInit): Promise<{ r: Response; body: string }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { r, body: await r.text() };
}

/**
 * A join, then its session's stream, as load.ts makes them. The stream answers as the last
 * request; it is made to fail unless it carries the join's own event (a pairing that broke would
 * measure the `json` payload's abandoned predictions under another name).
 */
async function onePrediction(base: string, joinBody: Record<string, unknown>): Promise<{ r: Response; body: string }> {
  const session = `benchcheck${process.pid}`;
  const join = await answerTo(`${base}/gradio_api/queue/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...joinBody, session_hash: session }) });
  const eventId = /"event_id":"(\w+)"/.exec(join.body)?.[1];
  if (join.r.status !== 200 || eventId === undefined) return join;
  const stream = await answerTo(`${base}/gradio_api/queue/data?session_hash=${session}`, { headers: { accept: 'text/event-stream' } });
  return stream.body.includes(`"event_id":"${eventId}"`) ? stream : { r: stream.r, body: `(no event ${eventId} in the stream) ${stream.body}` };
}

/** One request per target and payload before measuring: a broken path must not become a fast number. */
async function sanityCheck(targets: readonly Target[], traced: ReadonlySet<string>, o: Options): Promise<void> {
  for (const t of targets) {
    for (const p of PAYLOADS) {
      const spec = p.spec(t.url, o);
      const { r, body } = spec.prediction ? await onePrediction(spec.url, spec.prediction.joinBody) : await answerTo(spec.url, { method: spec.method, headers: spec.headers, body: spec.body });
      const ok = r.status === 200 && p.ok(body);
      if (!ok) throw new Error(`sanity check failed: ${t.name} ${p.name} → HTTP ${r.status}: ${body.slice(0, 300)}`);
      if (traced.has(t.name) && !r.headers.get('x-trace-id')) throw new Error(`sanity check failed: ${t.name} ${p.name} has no x-trace-id header`);
    }
  }
}

// ---- printing ----

const f = (n: number | undefined, digits = 2): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

function table(headers: readonly string[], rows: readonly (readonly string[])[], leftCols = 2): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * One target and payload over every round: medians, so that neither one process's luck nor one
 * busy moment of the machine decides a row (consecutive processes of the same build differ by
 * about ±15% in CPU per request here).
 */
interface Summary {
  readonly target: string;
  readonly payload: string;
  readonly rounds: readonly Measurement[];
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly ttfe50: number | undefined;
  readonly ttfe99: number | undefined;
  readonly responses: number;
  readonly bad: string;
  readonly cores: Record<string, number>;
}

function summarize(ms: readonly Measurement[]): Summary[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const key = `${m.target}\u0000${m.payload}`;
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  }
  return [...groups.values()].map((g) => {
    const sum = (pick: (r: LoadResult) => number) => g.reduce((n, m) => n + pick(m.result), 0);
    const [errors, timeouts, non2xx, mismatches] = [sum((r) => r.errors), sum((r) => r.timeouts), sum((r) => r.non2xx), sum((r) => r.mismatches)];
    const roles = [...new Set(g.flatMap((m) => Object.keys(m.cores)))];
    const ttfe = g[0]!.result.ttfeMs !== undefined;
    return {
      target: g[0]!.target, payload: g[0]!.payload, rounds: g,
      rps: median(g.map((m) => m.result.rps)), p50: median(g.map((m) => m.result.latencyMs.p50)), p99: median(g.map((m) => m.result.latencyMs.p99)),
      ttfe50: ttfe ? median(g.map((m) => m.result.ttfeMs?.p50 ?? NaN)) : undefined,
      ttfe99: ttfe ? median(g.map((m) => m.result.ttfeMs?.p99 ?? NaN)) : undefined,
      responses: sum((r) => r.requests),
      bad: errors + timeouts + non2xx + mismatches ? `${errors}e/${timeouts}t/${non2xx}n/${mismatches}m` : '0',
      cores: Object.fromEntries(roles.map((r) => [r, median(g.map((m) => m.cores[r] ?? 0))])),
    };
  });
}

function resultsTable(sums: readonly Summary[]): string {
  const direct = new Map(sums.filter((m) => m.target === 'direct').map((m) => [m.payload, m]));
  const rows = sums.map((m) => {
    const d = direct.get(m.payload);
    return [
      m.target, m.payload, f(m.rps, 0), f(m.p50), f(m.p99), f(m.ttfe50), f(m.ttfe99),
      d ? f(m.rps / d.rps) : '-', d ? f(m.p99 / d.p99) : '-', String(m.responses), m.bad,
    ];
  });
  return table(
    ['target', 'payload', 'req/s', 'p50 ms', 'p99 ms', 'ttfe p50', 'ttfe p99', 'req/s÷direct', 'p99÷direct', 'responses', 'bad'],
    rows,
  );
}

/** The process each target adds on the path (the one whose CPU per request is compared). */
const PROXY_ROLE: Record<string, string> = {
  'plain-proxy': 'plain-proxy', traced: 'trace-proxy', [PAIRED_TARGET]: PAIRED_TARGET, ...Object.fromEntries(ABLATIONS.map((a) => [a.name, a.name])),
};

/** CPU µs of the target's proxy process per request, from its own /proc accounting. */
const proxyMicros = (m: Measurement): number | undefined => {
  const role = PROXY_ROLE[m.target];
  return role && m.result.rps > 0 ? (m.cores[role]! / m.result.rps) * 1e6 : undefined;
};

/** A proxy against the untraced one in the same round, round by round; the row gives the median. */
interface Ratio {
  readonly target: string;
  readonly payload: string;
  readonly rps: number;
  readonly rpsRatio: number;
  readonly rpsRatios: readonly number[];
  readonly micros: number;
  readonly untracedMicros: number;
  readonly cpuRatio: number;
  readonly cpuRatios: readonly number[];
}

function ratios(sums: readonly Summary[]): Ratio[] {
  const plain = new Map(sums.filter((m) => m.target === 'plain-proxy').map((m) => [m.payload, m]));
  return sums.filter((m) => PROXY_ROLE[m.target] && m.target !== 'plain-proxy' && plain.has(m.payload)).map((m) => {
    const p = plain.get(m.payload)!;
    const paired = m.rounds.map((r) => [r, p.rounds.find((q) => q.round === r.round)] as const).filter((x): x is readonly [Measurement, Measurement] => x[1] !== undefined);
    const rpsRatios = paired.map(([r, q]) => r.result.rps / q.result.rps);
    const cpuRatios = paired.map(([r, q]) => (proxyMicros(r) ?? NaN) / (proxyMicros(q) ?? NaN));
    return {
      target: m.target, payload: m.payload, rps: m.rps, rpsRatio: median(rpsRatios), rpsRatios,
      micros: median(m.rounds.map((r) => proxyMicros(r) ?? NaN)), untracedMicros: median(p.rounds.map((r) => proxyMicros(r) ?? NaN)),
      cpuRatio: median(cpuRatios), cpuRatios,
    };
  });
}

const spread = (xs: readonly number[]): string => (xs.length > 1 ? `${f(Math.min(...xs))}-${f(Math.max(...xs))}` : '-');

function ratioTable(rs: readonly Ratio[]): string {
  const rows = rs.map((r) => [r.target, r.payload, f(r.rps, 0), f(r.rpsRatio), spread(r.rpsRatios), f(r.micros, 0), f(r.untracedMicros, 0), f(r.cpuRatio), spread(r.cpuRatios)]);
  return table(['target', 'payload', 'req/s', 'req/s÷untraced', 'rounds', 'proxy CPU µs/req', 'untraced µs/req', 'CPU÷untraced', 'rounds'], rows);
}

function equalTable(rs: readonly Ratio[]): string {
  const rows = rs.map((r) => [r.target, r.payload, f(r.rps, 0), f(r.micros, 0), f(r.untracedMicros, 0), f(r.cpuRatio), spread(r.cpuRatios)]);
  return table(['target', 'payload', 'req/s', 'proxy CPU µs/req', 'untraced µs/req', 'CPU÷untraced', 'rounds'], rows);
}

/** Where plain http-proxy's and the traced proxy's CPU per request ran (medians of the rounds). */
function splitTable(sums: readonly Summary[]): string {
  const rows = sums.filter((m) => SPLIT_TARGETS.includes(m.target)).map((m) => {
    const of = (pick: (s: CpuSplit) => number) => median(m.rounds.map((r) => (r.split ? pick(r.split) : NaN)));
    const [u, k, t] = [of((s) => s.mainUser), of((s) => s.mainSystem), of((s) => s.otherThreads)];
    return [m.target, m.payload, f(u, 0), f(k, 0), f(t, 0), f(u + k + t, 0)];
  });
  return table(['target', 'payload', 'main thread user', 'main thread kernel', 'other threads', 'sum'], rows);
}
const SPLIT_TARGETS: readonly string[] = ['plain-proxy', 'traced'];

function cpuTable(sums: readonly Summary[]): string {
  const roles = [...new Set(sums.flatMap((m) => Object.keys(m.cores)))];
  const rows = sums.map((m) => [m.target, m.payload, ...roles.map((r) => f(m.cores[r])), f(Object.values(m.cores).reduce((a, b) => a + b, 0))]);
  return table(['target', 'payload', ...roles, 'total'], rows);
}

/** One payload's paired windows: CPU µs per request at each ratio, in the order measured. */
interface PairedRatio {
  readonly payload: string;
  readonly full: readonly number[];
  readonly reduced: readonly number[];
  /**
   * Median µs at PAIRED_RATIO over median µs at 1.0. Medians, as everywhere in the bench: one window of
   * run O took 858 µs per join against 271-292 in the other three, and the means made that 1.66.
   */
  readonly cpuRatio: number;
}

async function setHeadRatio(adminUrl: string, ratio: number): Promise<void> {
  const headers = { authorization: `Bearer ${PAIRED_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const r = ratio === 1
    ? await fetch(`${adminUrl}/admin/sampling`, { method: 'DELETE', headers })
    : await fetch(`${adminUrl}/admin/sampling`, { method: 'POST', headers, body: JSON.stringify({ ratio, duration_s: 3600 }) });
  const body = await r.text();
  if (!r.ok) throw new Error(`setting the head ratio to ${ratio} failed: HTTP ${r.status} ${body.slice(0, 200)}`);
}

async function pairedRatio(upstreamUrl: string, spansUrl: string, serviceName: string, nodeArgs: readonly string[], o: Options, stoppers: (() => Promise<void>)[]): Promise<PairedRatio[]> {
  const p = await startTracedProxy(upstreamUrl, spansUrl, serviceName, nodeArgs, { TTS_PROXY_ADMIN_TOKEN: PAIRED_ADMIN_TOKEN });
  stoppers.push(() => p.stop());
  const target: Target = { ...p, name: PAIRED_TARGET };
  const roles: Roles = { [PAIRED_TARGET]: p.pids };
  await settle([target], o);
  const rows: PairedRatio[] = [];
  for (const payload of PAYLOADS.filter((x) => PAIRED_PAYLOADS.includes(x.name))) {
    const full: number[] = [];
    const reduced: number[] = [];
    for (let w = 0; w < PAIRED_WINDOWS; w++) {
      for (const ratio of w % 2 ? [PAIRED_RATIO, 1] : [1, PAIRED_RATIO]) {
        await setHeadRatio(p.adminUrl, ratio);
        process.stderr.write(`measuring ${PAIRED_TARGET} / ${payload.name} at ratio ${ratio} (window ${w + 1}/${PAIRED_WINDOWS}) …\n`);
        const micros = proxyMicros(await measure(target, payload, w, { ...o, warmupS: 1 }, roles)) ?? NaN;
        (ratio === 1 ? full : reduced).push(micros);
      }
    }
    rows.push({ payload: payload.name, full, reduced, cpuRatio: median(reduced) / median(full) });
  }
  await setHeadRatio(p.adminUrl, 1);
  await p.stop();
  return rows;
}

function pairedTable(rows: readonly PairedRatio[]): string {
  const list = (xs: readonly number[]) => xs.map((x) => f(x, 0)).join(' ');
  return table(['payload', `µs/req at 1.0 (each window)`, `µs/req at ${PAIRED_RATIO} (each window)`, `CPU ${PAIRED_RATIO}÷1.0`],
    rows.map((r) => [r.payload, list(r.full), list(r.reduced), f(r.cpuRatio, 3)]), 3);
}

/** One switch against the traced proxy, side by side: CPU µs per request of each, pair by pair. */
interface SideBySideRow {
  readonly ablation: string;
  readonly payload: string;
  readonly traced: readonly number[];
  readonly ablated: readonly number[];
  /** ablated ÷ traced, one per pair. */
  readonly ratios: readonly number[];
  readonly cpuRatio: number;
}

async function sideBySide(upstreamUrl: string, spansUrl: string, serviceName: string, nodeArgs: readonly string[], o: Options, stoppers: (() => Promise<void>)[]): Promise<SideBySideRow[]> {
  const payloads = PAYLOADS.filter((p) => SIDE_BY_SIDE_PAYLOADS.includes(p.name));
  const cells = new Map<string, { ablation: string; payload: string; traced: number[]; ablated: number[]; ratios: number[] }>();
  const microsOf = (m: Measurement): number => (m.result.rps > 0 ? (m.cores[m.target]! / m.result.rps) * 1e6 : NaN);
  for (let pair = 0; pair < SIDE_BY_SIDE_PAIRS; pair++) {
    for (const a of SIDE_BY_SIDE) {
      const [t, x] = await Promise.all([
        startTracedProxy(upstreamUrl, spansUrl, serviceName, nodeArgs),
        a.plain ? startPlainProxy(upstreamUrl) : startTracedProxy(upstreamUrl, spansUrl, serviceName, nodeArgs, a.env, a.args),
      ]);
      stoppers.push(() => t.stop(), () => x.stop());
      const both: Target[] = [{ ...t, name: 'traced' }, { ...x, name: a.name }];
      await Promise.all(both.map((b) => settle([b], o, payloads)));
      for (const payload of payloads) {
        process.stderr.write(`measuring traced and ${a.name} side by side / ${payload.name} (pair ${pair + 1}/${SIDE_BY_SIDE_PAIRS}) …\n`);
        // Each measurement reads only its own proxy's CPU, under its own role name.
        const [mt, mx] = await Promise.all(both.map((b) => measure(b, payload, pair, o, { [b.name]: b.pids })));
        const key = `${a.name}\u0000${payload.name}`;
        const c = cells.get(key) ?? { ablation: a.name, payload: payload.name, traced: [], ablated: [], ratios: [] };
        cells.set(key, c);
        c.traced.push(microsOf(mt!));
        c.ablated.push(microsOf(mx!));
        c.ratios.push(microsOf(mx!) / microsOf(mt!));
      }
      await Promise.all([t.stop(), x.stop()]);
    }
  }
  return [...cells.values()].map((c) => ({ ...c, cpuRatio: median(c.ratios) }));
}

function sideBySideTable(rows: readonly SideBySideRow[]): string {
  return table(['switched off', 'payload', 'traced µs/req', 'switched off µs/req', 'CPU÷traced', 'pairs'],
    rows.map((r) => [r.ablation, r.payload, f(median(r.traced), 0), f(median(r.ablated), 0), f(r.cpuRatio), spread(r.ratios)]));
}

/** The text of a proxy's /metrics, or undefined when it does not answer within 5 s. */
async function adminMetrics(adminUrl: string): Promise<string | undefined> {
  try {
    return await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  } catch {
    return undefined;
  }
}

async function proxyRequestsHandled(adminUrl: string): Promise<number | undefined> {
  const text = await adminMetrics(adminUrl);
  if (text === undefined) return undefined;
  let n = 0;
  for (const m of text.matchAll(/^http_server_request_duration_seconds_count(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+?\d+)?)$/gm)) n += Number(m[1]);
  return n;
}

/** `decision/reason count` pairs of tts_proxy_sampling_traces_total: what the head and tail samplers decided. */
async function samplingDecisions(adminUrl: string): Promise<Record<string, number> | undefined> {
  const text = await adminMetrics(adminUrl);
  if (text === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^tts_proxy_sampling_traces_total\{decision="(\w+)",reason="(\w+)"\} (\S+)$/gm)) out[`${m[1]}/${m[2]}`] = Number(m[3]);
  return out;
}

async function zipkinTraceCount(zipkinUrl: string, service: string): Promise<string> {
  try {
    const r = await fetch(`${zipkinUrl}/api/v2/traces?serviceName=${encodeURIComponent(service)}&limit=1000&lookback=3600000`, { signal: AbortSignal.timeout(20_000) });
    const traces = (await r.json()) as unknown[][];
    const spans = traces.reduce((s, t) => s + t.length, 0);
    return `Zipkin ${zipkinUrl} returns ${traces.length} traces (${spans} spans; query capped at 1000 traces) for service ${service}`;
  } catch (err) {
    return `could not query Zipkin ${zipkinUrl}: ${(err as Error).message}`;
  }
}

interface UploadSummary {
  readonly runs: readonly UploadResult[];
  readonly ok: number;
  readonly medianGrowthMb: number;
  readonly minGrowthMb: number;
  readonly maxGrowthMb: number;
}

function summarizeUploads(runs: readonly UploadResult[]): UploadSummary {
  const growth = runs.map((r) => r.growthMb).sort((a, b) => a - b);
  return { runs, ok: runs.filter((r) => r.status === 200).length, medianGrowthMb: growth[(growth.length - 1) >> 1] ?? NaN, minGrowthMb: growth[0] ?? NaN, maxGrowthMb: growth.at(-1) ?? NaN };
}

interface MemoryRow { target: string; streams: StreamsResult; upload: UploadSummary; settled: UploadSummary; large: UploadSummary }

function memoryTable(rows: readonly MemoryRow[]): string {
  const head = ['target', 'streams open', 'base', 'peak', 'KiB/stream', 'uploads ok', `${MEMORY_UPLOAD_BYTES >> 20} MiB: growth`, 'min', 'max',
    `settled ${MEMORY_UPLOAD_BYTES >> 20} MiB`, 'max', `${MEMORY_LARGE_UPLOAD_BYTES >> 20} MiB: growth`, 'max'];
  const lines = rows.map((r) => [
    r.target, `${r.streams.opened}/${r.streams.wanted}`, f(r.streams.baselineMb, 0), f(r.streams.peakMb, 0), f(r.streams.perStreamKb, 0),
    `${r.upload.ok + r.settled.ok + r.large.ok}/${r.upload.runs.length + r.settled.runs.length + r.large.runs.length}`,
    f(r.upload.medianGrowthMb, 1), f(r.upload.minGrowthMb, 1), f(r.upload.maxGrowthMb, 1),
    f(r.settled.medianGrowthMb, 1), f(r.settled.maxGrowthMb, 1), f(r.large.medianGrowthMb, 1), f(r.large.maxGrowthMb, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [row(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n');
}

// ---- orchestration ----

async function main(): Promise<number> {
  const startedAt = Date.now();
  const o = parseOptions(process.argv.slice(2));
  const zipkinUrl = process.env.ZIPKIN_URL?.replace(/\/+$/, '') || undefined;
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const serviceName = `tts-trace-proxy-bench-${startedAt}`;
  const ncpu = availableParallelism();

  const out = (s = ''): boolean => process.stdout.write(s + '\n');
  out(`tts-trace-proxy bench — ${new Date(startedAt).toISOString()}, node ${process.version}`);
  out(`machine: ${ncpu} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out(`All processes (load generator, upstream app, proxies, nginx workers, span sink) run on 127.0.0.1 and share these ${ncpu} cores:`);
  out('a hop costs CPU that the load generator and the app would otherwise get, so the ratios, not the absolute numbers, are the result.');
  out(`load: autocannon in a child process, ${o.connections} connections, pipelining 1, ${o.warmupS} s warm-up (discarded) + ${o.durationS} s measured, per target and payload; each proxy started afresh per round and settled first (${o.settleS} s of each payload, unmeasured).`);
  out(`payloads: static = GET /assets/index.js (~20 KB); json = POST /gradio_api/queue/join (${Buffer.byteLength(JOIN_BODY)} B JSON in, small JSON out, a distinct event_id each); sse = GET /gradio_api/queue/data (${SSE_EVENTS} events ${SSE_INTERVAL_MS} ms apart, then end); file = GET /gradio_api/file=… (a ${WAV_FILE_BYTES >> 10} KiB WAV; direct, plain-proxy and traced only); prediction = a join with a session of its own, then GET queue/data for that session to its process_completed (${SSE_EVENTS} events ${SSE_INTERVAL_MS} ms apart), counted as one request: its rows are per prediction.`);
  out(`ablations: the traced proxy with one switch off each: ${ABLATIONS.map((a) => a.name).join(', ')}; and side by side with a traced proxy: ${SIDE_BY_SIDE.map((a) => a.name).join(', ')}.`);
  out(`traced proxy: real CLI, every request sampled (SERVER + CLIENT span), batch export with default settings to ${zipkinUrl ? `Zipkin at ${zipkinUrl}` : 'the bench\'s span sink'}; access log on (stdout → /dev/null).`);
  out();

  let sink: SpanSink | undefined;
  const stoppers: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      // nginx first (it holds connections to the proxy), then all node children, the sink last so
      // the traced proxy's shutdown flush still has somewhere to go.
      for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
      await stopAllChildren();
      await sink?.close();
    })());
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted = true;
      process.stderr.write(`\n${sig}: stopping every process the bench started…\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    if (!zipkinUrl) sink = await startSink();
    const spansUrl = `${zipkinUrl ?? sink!.url}/api/v2/spans`;

    const upstream = await startUpstream(SSE_EVENTS, SSE_INTERVAL_MS);
    stoppers.push(() => upstream.stop());
    // Their spans go elsewhere, so that the sink's count stays the traced proxy's own.
    const ablationSink = zipkinUrl ? undefined : await startSink();
    if (ablationSink) stoppers.push(() => ablationSink.close());
    const ablationSpansUrl = `${zipkinUrl ?? ablationSink!.url}/api/v2/spans`;

    /** Every proxy of one round, started afresh. */
    const startRound = async () => {
      const plain = await startPlainProxy(upstream.url);
      stoppers.push(() => plain.stop());
      const traced = await startTracedProxy(upstream.url, spansUrl, serviceName, nodeArgs);
      stoppers.push(() => traced.stop());
      const front = await startNginxFront(traced.port);
      stoppers.push(() => front.stop());
      const ablated: (Target & { adminUrl: string; stop(): Promise<void> })[] = [];
      for (const a of ABLATIONS) {
        const p = await startTracedProxy(upstream.url, ablationSpansUrl, `${serviceName}-ablation`, nodeArgs, a.env, a.args);
        stoppers.push(() => p.stop());
        ablated.push({ ...p, name: a.name });
      }
      const targets: Target[] = [
        { ...upstream, name: 'direct' },
        { ...plain, name: 'plain-proxy' },
        { ...traced, name: 'traced' },
        { ...front, name: 'nginx+traced' },
        ...ablated,
      ];
      const roles: Roles = {
        upstream: upstream.pids, 'plain-proxy': plain.pids, 'trace-proxy': traced.pids, nginx: front.pids,
        ...Object.fromEntries(ablated.map((t) => [t.name, () => t.pids()])),
      };
      return { plain, traced, front, ablated, targets, roles };
    };

    // Round by round, each on proxies started afresh: consecutive processes of one build differ by
    // up to about 15% in CPU per request, more than one process does from one window to the next,
    // so a run samples processes as well as moments. A round measures every target once, so a slow
    // stretch of the machine falls on all of them alike, and each proxy is compared with the
    // untraced one of its round.
    const measurements: Measurement[] = [];
    /** The same proxies at one offered load (EQUAL_RATE), measured after the others in each round. */
    const equalMeasurements: Measurement[] = [];
    const ratioDecisions: Record<string, number> = {};
    let handled: number | undefined = 0;
    const proxyExits: (number | string)[] = [];
    for (let round = 0; round < o.rounds; round++) {
      process.stderr.write(`round ${round + 1}/${o.rounds}: starting every proxy afresh …\n`);
      const r = await startRound();
      await sanityCheck(r.targets, new Set(['traced', 'nginx+traced']), o);
      process.stderr.write(`settling every proxy: each payload for ${o.settleS} s …\n`);
      await settle(r.targets, o);
      for (const payload of PAYLOADS) {
        for (const target of r.targets.filter((t) => carries(payload, t))) {
          process.stderr.write(`measuring ${target.name} / ${payload.name} (round ${round + 1}/${o.rounds}) …\n`);
          measurements.push(await measure(target, payload, round, o, r.roles, sink));
        }
      }
      if (o.equalRate) {
        for (const payload of PAYLOADS.filter((p) => EQUAL_PAYLOADS.includes(p.name))) {
          const offered: Payload = { ...payload, spec: (url, opts) => ({ ...payload.spec(url, opts), rate: o.equalRate }) };
          for (const target of r.targets.filter((t) => EQUAL_TARGETS.includes(t.name))) {
            process.stderr.write(`measuring ${target.name} / ${payload.name} at ${o.equalRate} req/s (round ${round + 1}/${o.rounds}) …\n`);
            equalMeasurements.push(await measure(target, offered, round, o, r.roles, sink));
          }
        }
      }
      // At ratio 0.01 the tail still keeps every failed trace; a join whose prediction is never
      // read (the bench's joins) ends as prediction_abandoned, so its row pays for export as at 1.0.
      const ratioProxy = r.ablated.find((a) => a.name === 'traced ratio=0.01');
      const decided = ratioProxy ? await samplingDecisions(ratioProxy.adminUrl) : undefined;
      for (const [k, v] of Object.entries(decided ?? {})) ratioDecisions[k] = (ratioDecisions[k] ?? 0) + v;
      // What the proxy says it handled, then a graceful stop (SIGTERM drains and flushes spans).
      const n = await proxyRequestsHandled(r.traced.adminUrl);
      handled = handled === undefined || n === undefined ? undefined : handled + n;
      await r.front.stop();
      await r.traced.stop();
      proxyExits.push(await r.traced.child.exited);
      for (const p of [r.plain, ...r.ablated]) await p.stop();
    }
    process.stderr.write(`sampling ratio in one process: ${PAIRED_WINDOWS} windows at each ratio …\n`);
    const paired = await pairedRatio(upstream.url, ablationSpansUrl, `${serviceName}-paired`, nodeArgs, o, stoppers);
    process.stderr.write(`switches side by side: ${SIDE_BY_SIDE_PAIRS} pairs of fresh processes each …\n`);
    const sides = await sideBySide(upstream.url, ablationSpansUrl, `${serviceName}-side-by-side`, nodeArgs, o, stoppers);
    const summaries = summarize(measurements);
    const ratioRows = ratios(summaries);
    const equalSummaries = summarize(equalMeasurements);
    const equalRows = ratios(equalSummaries);
    const proxyExit = proxyExits.join(',');

    out(`medians of ${o.rounds} rounds per row (each round starts every proxy afresh and measures each target once, in this order):`);
    out(resultsTable(summaries));
    out();
    out('Against plain http-proxy with the same options (xfwd, keep-alive agent, preserveHeaderKeyCase), measured in this run:');
    out('each ratio is the median of the rounds\' ratios, a proxy against the untraced one of the same round; "rounds" gives their range.');
    out(ratioTable(ratioRows));
    out('Their CPU µs per request by where it ran (main thread: the event loop and the JavaScript, in user and kernel mode; other threads: V8\'s collector and compiler helpers):');
    out(splitTable(summaries));
    if (Object.keys(ratioDecisions).length) {
      out(`traced ratio=0.01, traces decided (decision/reason): ${Object.entries(ratioDecisions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
      out('A join whose prediction is never read ends as prediction_abandoned, an error the tail would keep: it keeps them up to its budget');
      out('(TTS_PROXY_TAIL_KEEP_MAX_PER_S, 100 a second by default) and counts the rest as dropped/rate_limited.');
    }
    out();
    if (o.equalRate) {
      out(`At one offered load: above, every proxy ran as fast as it answers, so the faster untraced one found its peers (load generator, app)`);
      out(`awake more often and paid less kernel time per write. Here each is offered ${o.equalRate} req/s on the same connections; measured after the rows above, in each round:`);
      out(equalTable(equalRows));
      out('The same CPU µs per request by where it ran (main thread: the event loop and the JavaScript; other threads: V8\'s collector and compiler helpers):');
      out(splitTable(equalSummaries));
      const short = equalSummaries.filter((m) => m.rps < EQUAL_RATE_REACHED * o.equalRate);
      if (short.length) out(`NOTE: ${short.map((m) => `${m.target}/${m.payload} (${f(m.rps, 0)} req/s)`).join(', ')} answered less than ${EQUAL_RATE_REACHED * 100}% of the offered rate: saturated, not at the offered load.`);
      out();
    }
    out(`The head ratio in one process (${PAIRED_TARGET}): one traced proxy, its ratio switched between 1.0 and ${PAIRED_RATIO} through the admin API`);
    out(`between ${2 * PAIRED_WINDOWS} measured windows per payload, alternating which comes first, so that no process-to-process spread enters the ratio (medians of the windows):`);
    out(pairedTable(paired));
    out();
    out(`What each switch saves, side by side: ${SIDE_BY_SIDE_PAIRS} pairs per switch of a fresh traced proxy and a fresh one with the switch off, started, settled and`);
    out('loaded together (each on its own connections), so that no process-to-process spread enters the ratio as it does in the ablation rows above;');
    out('"core" has every switch off. CPU÷traced is the median of the pairs\' ratios, "pairs" their range; the µs columns are medians:');
    out(sideBySideTable(sides));
    for (const r of sides.filter((x) => x.ablation === PLAIN_SIDE.name)) {
      const tracedOverPlain = r.ratios.map((x) => 1 / x);
      out(`Traced against plain http-proxy loaded together, ${r.payload}: ${f(median(tracedOverPlain))}× its CPU per request (pairs ${spread(tracedOverPlain)}); alone and saturated (the rounds) it is the ratio table's CPU÷plain.`);
    }
    out();
    out('ttfe = time to first SSE event (first body byte). bad = errors/timeouts/non-2xx/body mismatches.');
    out('Ratios compare with "direct" for the same payload; req/s÷direct < 1 and p99÷direct > 1 mean overhead.');
    out();
    out(`CPU during each measured window, in cores (of ${ncpu}): "load" is the load generator, "bench+sink" this process, "rest" busy time`);
  out('charged to none of them (kernel loopback networking, other processes on the machine), "total" the whole machine:');
    out(cpuTable(summaries));
    // A busy neighbour makes one window slower than the others; say so instead of hiding it.
    const noisy = measurements.filter((m) => (m.cores[REST] ?? 0) > NOISY_REST_CORES);
    if (noisy.length) {
      out(`NOTE: more than ${NOISY_REST_CORES} cores of "rest" during ${noisy.map((m) => `${m.target}/${m.payload} round ${m.round + 1} (${f(m.cores[REST])})`).join(', ')}:`);
      out('something outside the bench was busy then; those rows are disturbed; rerun on a quiet machine to compare them.');
      if (zipkinUrl) out('(with ZIPKIN_URL, a Zipkin running on this machine is part of "rest": its CPU is taken from the targets.)');
    }
    out();
    let spanSummary: Record<string, unknown>;
    if (sink) {
      const spans = sink.spans();
      const perRequest = handled ? spans / handled : NaN;
      out(`spans: the sink received ${spans} spans in ${sink.batches()} batches (${sink.rejected()} rejected); the proxy handled ${handled ?? '?'} requests` +
        ` (incl. warm-ups and sanity checks) → ${f(perRequest)} spans/request (2 per static, SSE or file request, SERVER and CLIENT; 4 per join, with gradio.predict and gradio.queue; a prediction's two requests make 6). proxy exit: ${proxyExit}.`);
      out(`spans received inside the measured windows: ${summaries.filter((m) => m.target !== 'direct' && m.target !== 'plain-proxy').map((m) => `${m.target}/${m.payload} ${m.rounds.reduce((n, r) => n + (r.spansInWindow ?? 0), 0)}`).join(', ')}`);
      spanSummary = { sink: true, spans, batches: sink.batches(), rejected: sink.rejected(), proxyRequestsHandled: handled, spansPerRequest: perRequest };
    } else {
      await new Promise((r) => setTimeout(r, 2000)); // Zipkin indexes asynchronously
      const line = await zipkinTraceCount(zipkinUrl!, serviceName);
      out(`spans: exported to a real Zipkin; the proxy handled ${handled ?? '?'} requests. ${line}. proxy exit: ${proxyExit}.`);
      spanSummary = { sink: false, zipkinUrl, serviceName, proxyRequestsHandled: handled, zipkin: line };
    }

    // Memory, each load on a fresh process so that its peak is this load's alone.
    const memory: MemoryRow[] = [];
    const fresh: { name: string; start: () => Promise<{ url: string; child: { pid: number }; stop(): Promise<void> }> }[] = [
      { name: 'plain-proxy', start: () => startPlainProxy(upstream.url) },
      { name: 'traced', start: () => startTracedProxy(upstream.url, ablationSpansUrl, `${serviceName}-memory`, nodeArgs) },
      { name: 'traced gradio=off', start: () => startTracedProxy(upstream.url, ablationSpansUrl, `${serviceName}-memory`, nodeArgs, {}, ['--gradio', 'false']) },
    ];
    const streamsOf = new Map<string, StreamsResult>();
    for (const t of fresh) {
      process.stderr.write(`memory: ${t.name} streams …\n`);
      const a = await t.start();
      streamsOf.set(t.name, await holdStreams(a.url, a.child.pid, MEMORY_STREAMS, MEMORY_HOLD_MS));
      await a.stop();
    }
    // Round by round, so that a busy moment of the machine falls on every target alike.
    // One process at a time, settled or not: started together, three start-ups compete for the
    // cores, and V8's collections (which decide this figure) then run at other moments.
    const uploadRuns = async (bytes: number, runs: number, settleMs = 0): Promise<Map<string, UploadResult[]>> => {
      const of = new Map<string, UploadResult[]>(fresh.map((t) => [t.name, []]));
      const settled = settleMs ? ` settled (${settleMs / 1000} s after start-up)` : '';
      for (let round = 0; round < runs; round++) {
        for (const t of fresh) {
          process.stderr.write(`memory: ${t.name} ${bytes >> 20} MiB upload${settled} ${round + 1}/${runs} …\n`);
          const b = await t.start();
          if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
          of.get(t.name)!.push(await uploadOnce(b.url, b.child.pid, bytes));
          await b.stop();
        }
      }
      return of;
    };
    const uploadsOf = await uploadRuns(MEMORY_UPLOAD_BYTES, MEMORY_UPLOAD_RUNS);
    const settledOf = await uploadRuns(MEMORY_UPLOAD_BYTES, MEMORY_SETTLED_RUNS, MEMORY_SETTLE_MS);
    const largeOf = await uploadRuns(MEMORY_LARGE_UPLOAD_BYTES, MEMORY_LARGE_UPLOAD_RUNS);
    for (const t of fresh) {
      memory.push({
        target: t.name, streams: streamsOf.get(t.name)!, upload: summarizeUploads(uploadsOf.get(t.name)!),
        settled: summarizeUploads(settledOf.get(t.name)!), large: summarizeUploads(largeOf.get(t.name)!),
      });
    }
    out();
    out(`memory (a fresh process per load; MiB, peak = VmHWM): ${MEMORY_STREAMS} concurrent queue/data SSE streams held ${MEMORY_HOLD_MS / 1000} s; one ${MEMORY_UPLOAD_BYTES >> 20} MiB multipart upload on each of ${MEMORY_UPLOAD_RUNS} fresh processes, on ${MEMORY_SETTLED_RUNS} left ${MEMORY_SETTLE_MS / 1000} s after start-up ("settled"), and one of ${MEMORY_LARGE_UPLOAD_BYTES >> 20} MiB on each of ${MEMORY_LARGE_UPLOAD_RUNS} (growth = peak - RSS before it; median):`);
    out(memoryTable(memory));

    await cleanup();
    const totalS = (Date.now() - startedAt) / 1000;
    out(`total run time: ${totalS.toFixed(1)} s`);
    if (o.out) {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, JSON.stringify({
        startedAt: new Date(startedAt).toISOString(), node: process.version, cores: ncpu, cpuModel: cpus()[0]?.model.trim(),
        options: { ...o, sseEvents: SSE_EVENTS, sseIntervalMs: SSE_INTERVAL_MS, jsonBodyBytes: Buffer.byteLength(JOIN_BODY) },
        measurements, ratios: ratioRows, equalLoad: o.equalRate ? { rate: o.equalRate, measurements: equalMeasurements, ratios: equalRows } : undefined, pairedRatio: paired, sideBySide: sides, memory, spans: spanSummary, ratioDecisions, totalRunS: totalS,
      }, null, 2) + '\n');
      out(`results written to ${o.out}`);
    }
    return 0;
  } catch (err) {
    if (!interrupted) process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    await cleanup();
    return interrupted ? 130 : 1;
  }
}

main().then((code) => process.exit(code));
