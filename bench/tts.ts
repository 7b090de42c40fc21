// `npm run bench:tts`: the worker's real-time factor against Python piper-tts (PyPI) on the same
// machine, voice, texts and scales. RTF = compute time / audio time; lower is faster.
//
//   worker, one at a time   POST call/synthesize, wait for `complete`: end-to-end per request
//                           (HTTP, phonemization, inference, WAV encoding) with the default pool
//   worker, all at once     every text submitted together: wall time / total audio, i.e. what
//                           the default pool (one thread per core) delivers
//   worker, 1 x all cores   --workers 1 --threads <cores>, one request at a time: the same
//                           threading as piper-tts, so the like-for-like latency comparison
//   piper-tts               PiperVoice.synthesize() in one Python process, one text after another
//                           (its own default session options: all cores for one run)
//
// Each figure is the median of --rounds rounds (interleaved: worker, worker, piper-tts) after a
// warm-up round of each. Nothing is asserted.
// usage: node dist/bench/tts.js [--rounds N] [--voice PATH] [--workers N] [--threads N]
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseWav } from '../upstream-tts/src/tts/wav.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER = join(ROOT, 'dist', 'upstream-tts', 'src', 'main.js');

// A mix of lengths and punctuation; 8 texts, about 90 s of speech in all.
const TEXTS = [
  'Hello, world! How are you today?',
  'A rainbow is a meteorological phenomenon that is caused by reflection, refraction and dispersion of light in water droplets resulting in a spectrum of light appearing in the sky.',
  'It takes the form of a multi-colored circular arc. Rainbows caused by sunlight always appear in the section of sky directly opposite the Sun.',
  'Please call 555-0199 at 10:30 tomorrow, or send an e-mail before Friday.',
  'With tenure, Suzie\'d have all the more leisure for yachting, but her publications are no good.',
  'The beige hue on the waters of the loch impressed all, including the French queen, before she heard that symphony again, just as young Arthur wanted.',
  'Shaw, those twelve beige hooks are joined if I patch a young, gooey mouth. Are those shy Eurasian footwear, cowboy chaps, or jolly earthmoving headgear?',
  'The quick brown fox jumps over the lazy dog. Then it runs away into the forest, and nobody sees it again for a very long time.',
];

// A long-lived Python process: one line on stdin = one round over all texts, answered with one
// JSON line, so that its rounds can be interleaved with the worker's (on a shared machine the
// background load drifts; interleaving makes both sides see the same drift).
const PIPER_SCRIPT = `
import json, sys, time
from piper import PiperVoice
t0 = time.perf_counter()
voice = PiperVoice.load(sys.argv[1])
texts = json.loads(sys.argv[2])
print(json.dumps({"load_s": time.perf_counter() - t0}), flush=True)
for _ in sys.stdin:
    compute = audio = 0.0
    for text in texts:
        t = time.perf_counter()
        chunks = list(voice.synthesize(text))
        compute += time.perf_counter() - t
        audio += sum(len(c.audio_float_array) for c in chunks) / voice.config.sample_rate
    print(json.dumps({"compute": compute, "audio": audio}), flush=True)
`;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function script(name: string): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'scripts', name)], { maxBuffer: 1 << 20 });
  return stdout.trim();
}

async function startWorker(voice: string, extra: string[]): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, [WORKER, '--voice', voice, '--listen', `127.0.0.1:${port}`, ...extra], {
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('worker did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * One request end to end, from POST to the `complete` event (queueing, phonemization, inference,
 * WAV encoding, HTTP); the WAV is then fetched, outside the timed part, for its duration.
 */
async function synthesize(url: string, text: string): Promise<{ seconds: number; ms: number }> {
  const t0 = performance.now();
  const post = await fetch(`${url}/gradio_api/call/synthesize`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [text] }),
  });
  const { event_id: id } = (await post.json()) as { event_id: string };
  const stream = await (await fetch(`${url}/gradio_api/call/synthesize/${id}`)).text();
  const complete = /event: complete\ndata: (.*)\n/.exec(stream);
  if (!complete) throw new Error(`no complete event: ${stream.slice(0, 500)}`);
  const ms = performance.now() - t0;
  const file = (JSON.parse(complete[1]!) as { url: string }[])[0]!;
  return { seconds: parseWav(Buffer.from(await (await fetch(file.url)).arrayBuffer())).seconds, ms };
}

async function sequential(url: string): Promise<{ compute: number; audio: number }> {
  let compute = 0;
  let audio = 0;
  for (const text of TEXTS) {
    const r = await synthesize(url, text);
    audio += r.seconds;
    compute += r.ms / 1000;
  }
  return { compute, audio };
}

async function concurrent(url: string): Promise<{ compute: number; audio: number }> {
  const results = await Promise.all(TEXTS.map((text) => synthesize(url, text)));
  // All start together, so the slowest one's time is the wall time until the last completed.
  const wall = Math.max(...results.map((r) => r.ms));
  return { compute: wall / 1000, audio: results.reduce((a, r) => a + r.seconds, 0) };
}

interface PiperProcess {
  round(): Promise<{ compute: number; audio: number }>;
  stop(): void;
}

async function startPiper(python: string, voice: string): Promise<PiperProcess> {
  const child = spawn(python, ['-c', PIPER_SCRIPT, voice, JSON.stringify(TEXTS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = (): Promise<string> => new Promise((resolve, reject) => {
    const line = lines.shift();
    if (line !== undefined) return resolve(line);
    waiters.push(resolve);
    child.once('exit', (code) => reject(new Error(`piper-tts process exited with ${code}`)));
  });
  await next(); // loaded
  return {
    async round() {
      child.stdin.write('round\n');
      return JSON.parse(await next()) as { compute: number; audio: number };
    },
    stop: () => child.kill('SIGTERM'),
  };
}

async function main(): Promise<void> {
  const rounds = Number(option('--rounds', '3'));
  const voice = option('--voice', '') || await script('setup-voice.sh');
  const python = await script('setup-piper-python.sh');
  const extra: string[] = [];
  for (const flag of ['--workers', '--threads']) if (process.argv.includes(flag)) extra.push(flag, option(flag, ''));

  console.log(`voice ${voice}`);
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${TEXTS.length} texts, median of ${rounds} interleaved rounds after a warm-up round\n`);

  const worker = await startWorker(voice, extra);
  const single = await startWorker(voice, ['--workers', '1', '--threads', String(availableParallelism())]);
  const piper = await startPiper(python, voice);
  const seq: number[] = [];
  const one: number[] = [];
  const con: number[] = [];
  const pys: number[] = [];
  let audioTotal = 0;
  try {
    // Warm-up round on both sides, then rounds interleaved: worker one-at-a-time, worker all
    // at once, piper-tts.
    await sequential(worker.url);
    await sequential(single.url);
    await piper.round();
    for (let r = 0; r < rounds; r++) {
      const s = await sequential(worker.url);
      seq.push(s.compute / s.audio);
      const c = await concurrent(worker.url);
      con.push(c.compute / c.audio);
      const o = await sequential(single.url);
      one.push(o.compute / o.audio);
      const p = await piper.round();
      pys.push(p.compute / p.audio);
      audioTotal = s.audio;
    }
  } finally {
    worker.stop();
    single.stop();
    piper.stop();
  }
  const pyRtf = median(pys);
  const version = readFileSync(join(dirname(python), '..', '.tts-trace-proxy-complete'), 'utf8').match(/^piper-tts==(.*)$/m)?.[1] ?? '?';

  const seqRtf = median(seq);
  const conRtf = median(con);
  const oneRtf = median(one);
  const rows: [string, number, string][] = [
    ['worker, one request at a time (end to end)', seqRtf, (seqRtf / pyRtf).toFixed(2)],
    ['worker, all requests at once (throughput)', conRtf, (conRtf / pyRtf).toFixed(2)],
    [`worker 1 x ${availableParallelism()} threads, one at a time`, oneRtf, (oneRtf / pyRtf).toFixed(2)],
    [`Python piper-tts ${version}, in process`, pyRtf, '1.00'],
  ];
  console.log(`audio per round: ${audioTotal.toFixed(1)} s`);
  console.log('                                              RTF     ratio to piper-tts');
  for (const [name, rtf, ratio] of rows) console.log(`  ${name.padEnd(44)}${rtf.toFixed(4)}  ${ratio}`);
  console.log(`\nratio (worker throughput / piper-tts): ${(conRtf / pyRtf).toFixed(2)}  (target <= 1.0)`);
  console.log(`ratio (worker one-at-a-time / piper-tts): ${(seqRtf / pyRtf).toFixed(2)}; with piper-tts's threading: ${(oneRtf / pyRtf).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
