// `npm run fuzz`: runs generated cases against the real proxy process (or, --direct, against the
// hostile upstream alone), shrinks each distinct failure with fast-check, and prints it as a
// regression test. Last line: `fuzz: N passed, K failed`.
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { caseArb } from './generators.js';
import { DEFAULTS, Harness, type CaseOutcome } from './harness.js';
import { INVARIANTS, type Failure, type Invariant } from './invariants.js';
import type { FuzzCase } from './model.js';
import { regressionSnippet } from './snippet.js';
import { zipkinUrl } from '../support/zipkin.js';

const USAGE = `usage: npm run fuzz -- [options]
  --seed N          base seed (default: random; printed)
  --cases N         cases to run (default 500)
  --time S          stop starting cases after S seconds (default: no limit)
  --path P          replay one case (and its shrink path) printed by an earlier run, with --seed
  --only LIST       invariants to check, comma separated: ${INVARIANTS.join(',')}
  --skip LIST       invariants not to check
  --direct          no proxy: clients talk to the hostile upstream (a sanity check of the harness)
  --max-rss-mb N    RSS bound of the proxy (default ${DEFAULTS.maxRssBytes / 2 ** 20})
  --shrink-time S   time to shrink each distinct failure (default 60)
  --max-shrinks N   distinct failures to shrink (default 8)
  --zipkin URL      Zipkin base URL (default: $ZIPKIN_URL, else one is started)
  --zipkin-every N  check the export counters once per N cases (default 10; shrinking checks every case)
  --verbose         print each failing case as it happens`;

interface Distinct {
  readonly failure: Failure;
  readonly run: number;
  count: number;
}

function parse() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' }, cases: { type: 'string' }, time: { type: 'string' }, path: { type: 'string' },
      only: { type: 'string' }, skip: { type: 'string' }, direct: { type: 'boolean' }, 'max-rss-mb': { type: 'string' },
      'shrink-time': { type: 'string' }, 'max-shrinks': { type: 'string' }, zipkin: { type: 'string' }, 'zipkin-every': { type: 'string' }, verbose: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) { console.log(USAGE); process.exit(0); }
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n)) { console.error(`fuzz: --${name} must be a number\n${USAGE}`); process.exit(2); }
    return n;
  };
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of [...list(values.only), ...list(values.skip)]) {
    if (!(INVARIANTS as readonly string[]).includes(i)) { console.error(`fuzz: unknown invariant ${i}\n${USAGE}`); process.exit(2); }
  }
  let enabled = new Set<Invariant>(values.only ? (list(values.only) as Invariant[]) : INVARIANTS);
  for (const s of list(values.skip)) enabled.delete(s as Invariant);
  // Without a proxy there is no process, no health, no spans and no RSS of its own to judge.
  if (values.direct) enabled = new Set([...enabled].filter((i) => i === 'bytes' || i === 'answer' || i === 'close'));
  return {
    seed: num(values.seed, Math.floor(Math.random() * 0x7fffffff), 'seed') | 0,
    cases: num(values.cases, 500, 'cases'),
    timeS: num(values.time, 0, 'time'),
    path: values.path,
    direct: !!values.direct,
    enabled,
    maxRssBytes: num(values['max-rss-mb'], DEFAULTS.maxRssBytes / 2 ** 20, 'max-rss-mb') * 2 ** 20,
    shrinkS: num(values['shrink-time'], 60, 'shrink-time'),
    maxShrinks: num(values['max-shrinks'], 8, 'max-shrinks'),
    zipkin: values.zipkin,
    zipkinEvery: Math.max(1, Math.floor(num(values['zipkin-every'], 10, 'zipkin-every'))),
    verbose: !!values.verbose,
  };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

async function main(): Promise<number> {
  const o = parse();
  const zipkin = o.enabled.has('zipkin') ? (o.zipkin ?? (await zipkinUrl())) : undefined;
  const h = new Harness({ ...DEFAULTS, direct: o.direct, zipkinUrl: zipkin, enabled: o.enabled, maxRssBytes: o.maxRssBytes });
  await h.start();
  // A replayed path is judged case by case, like the shrinks below.
  h.zipkinEvery = o.path ? 1 : o.zipkinEvery;
  console.log(`fuzz: seed ${o.seed}, ${o.path ? `replaying path ${o.path}` : `${o.cases} cases${o.timeS ? `, at most ${o.timeS} s` : ''}`}, ` +
    `${o.direct ? 'direct to the hostile upstream' : `proxy pid ${h.target.alive() ? 'up' : '?'}`}, invariants ${[...o.enabled].join(',')}${zipkin ? `, Zipkin ${zipkin}` : ''}`);

  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let hangs = 0;
  let altered = 0;
  let totalMs = 0;
  const distinct = new Map<string, Distinct>();
  const deadline = o.timeS > 0 ? started + o.timeS * 1000 : Infinity;
  let run = 0;

  const record = (out: CaseOutcome, index: number, c: FuzzCase | undefined) => {
    totalMs += out.ms;
    if (!out.failures.length) { passed++; return; }
    failed++;
    if (out.failures.some((f) => f.invariant === 'answer' && f.signature.startsWith('hang'))) hangs++;
    if (out.failures.some((f) => f.invariant === 'bytes')) altered++;
    for (const f of out.failures) {
      const d = distinct.get(f.signature);
      if (d) d.count++;
      else {
        distinct.set(f.signature, { failure: f, run: index, count: 1 });
        console.log(`fuzz: case ${index} (seed ${o.seed}, path ${o.path ?? index}): NEW ${f.invariant}: ${f.signature}`);
      }
      if (o.verbose) console.log(`  ${f.invariant}: ${f.detail.split("\n")[0]}\n  ${JSON.stringify(c).slice(0, Number(process.env.FUZZ_VERBOSE_CHARS ?? 600))}${f.invariant === "crash" ? `\n${f.detail}` : ""}`);
    }
  };

  // One fast-check run over all cases (its size bias grows with the run index, as in fc.assert);
  // failures are collected, not thrown, so one defect does not hide the others.
  await fc.check(fc.asyncProperty(caseArb, async (c) => {
    const index = run++;
    // Replaying a path: fast-check goes on to the case's siblings in the shrink tree when it passes.
    if (Date.now() > deadline || (o.path && index > 0)) return true;
    record(await h.runCase(c), index, c);
    if (index > 0 && index % 250 === 0) {
      console.log(`fuzz: ${index} cases, ${failed} failed, ${(totalMs / index).toFixed(0)} ms/case (${(h.checkMs / index).toFixed(0)} in process checks), peak RSS ${mib(h.peakRss)} MiB, ${distinct.size} distinct failures`);
    }
    return true;
  }), { seed: o.seed, numRuns: o.path ? 1 : o.cases, path: o.path, endOnFailure: true, interruptAfterTimeLimit: o.timeS > 0 ? o.timeS * 1000 : undefined });

  // Shrink each distinct failure, most frequent first, towards a small input that still shows it.
  // The window's last export check, then every shrink step on its own.
  if (h.zipkinEvery > 1 && o.enabled.has('zipkin')) {
    const tail = await h.exportCheck();
    // Not a case of its own: the window's last case takes the failure.
    if (tail.length) { passed--; record({ failures: tail, results: [], websockets: [], ms: 0 }, run - 1, undefined); }
  }
  h.zipkinEvery = 1;
  const todo = [...distinct.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, o.path ? distinct.size : o.maxShrinks);
  for (const [signature, d] of todo) {
    const until = Date.now() + o.shrinkS * 1000;
    let smallest: FuzzCase | undefined;
    let detail = d.failure;
    // A failure found by a check over a window of cases is reported on the window's last case,
    // but any case of the window may have caused it: each is replayed alone, latest first.
    const window = d.failure.windowed && !o.path ? Math.min(o.zipkinEvery, d.run + 1) : 1;
    let from = d.run;
    let r: fc.RunDetails<[FuzzCase]> | undefined;
    for (let k = 0; k < window && !smallest && Date.now() < until; k++) {
      from = d.run - k;
      r = await fc.check(fc.asyncProperty(caseArb, async (c) => {
        if (Date.now() > until) return true;
        const out = await h.runCase(c);
        const f = out.failures.find((x) => x.signature === signature);
        if (f) { smallest = c; detail = f; }
        return !f;
      }), { seed: o.seed, path: o.path ?? String(from), numRuns: 1, endOnFailure: false });
    }
    if (from !== d.run && smallest) console.log(`fuzz: the window's failure reproduces with case ${from} alone`);
    const path = r?.failed ? r.counterexamplePath ?? String(from) : o.path ?? String(from);
    const repro = `npm run fuzz -- --seed ${o.seed} --path ${path}${o.direct ? ' --direct' : ''}`;
    console.log(`\n---- ${d.failure.invariant}: ${signature} (${d.count} case${d.count === 1 ? '' : 's'}; first: case ${d.run})`);
    console.log(detail.detail.split('\n').slice(0, 12).join('\n'));
    if (!smallest) {
      console.log(`(did not fail again when replayed alone; it depends on earlier cases: npm run fuzz -- --seed ${o.seed} --cases ${d.run + 1})`);
      continue;
    }
    console.log(`reproduce: ${repro}${r?.failed ? ` (shrunk ${r.numShrinks} times)` : ''}`);
    console.log(regressionSnippet(smallest, detail, repro));
  }
  for (const [signature, d] of [...distinct.entries()].filter(([s]) => !todo.some(([t]) => t === s))) {
    console.log(`\n---- ${d.failure.invariant}: ${signature} (${d.count} cases; not shrunk) reproduce: npm run fuzz -- --seed ${o.seed} --path ${d.run}`);
  }

  const final = await h.finalCounters();
  await h.stop();
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\nfuzz: seed=${o.seed} cases=${passed + failed} time=${secs}s ${o.direct ? 'direct (no proxy)' : `peak_rss=${mib(h.peakRss)}MiB`} crashes=${h.crashes} hangs=${hangs} ` +
    `altered_bytes=${altered} zipkin_refused_spans=${h.refusedSpans} dropped_spans=${h.droppedSpans}${final ? ` exported_spans=${final.exported}` : ''} distinct_failures=${distinct.size}`);
  console.log(`fuzz: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  console.log('fuzz: 0 passed, 1 failed');
  process.exit(1);
});
