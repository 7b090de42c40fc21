// The pool with the real voice on real onnxruntime-node threads.
import test from 'ava';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLogger } from '../../../common/logger.js';
import { WorkerPool } from '../../../upstream-tts/src/pool/pool.js';
import type { WorkerInit } from '../../../upstream-tts/src/pool/messages.js';
import { voicePath } from '../helpers.js';
import { gapStats, startControlTicker } from '../../support/control-ticker.js';
import { Writable } from 'node:stream';

const silent = makeLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const deterministic = { noiseScale: 0, lengthScale: 1, noiseW: 0 };

async function init(overrides: Partial<WorkerInit> = {}): Promise<WorkerInit> {
  const model = await voicePath();
  return { modelPath: model, configPath: `${model}.json`, mode: 'cpu', intraOpThreads: 1, nice: 0, ...overrides };
}

async function collect(pool: WorkerPool, text: string) {
  const chunks: Int16Array[] = [];
  let phonemized: { sentences: number; phonemes: number } | undefined;
  await pool.run({ text, scales: deterministic }, {
    onPhonemized: (e) => { phonemized = e; },
    onSentence: (e) => chunks.push(e.pcm),
  });
  return { chunks, phonemized };
}

test.serial('two threads synthesise sentences of real speech, deterministically with zero noise; the HTTP thread stays free', async (t) => {
  const pool = await WorkerPool.start(2, await init(), silent);
  t.teardown(() => pool.close());
  t.deepEqual(pool.stats(), { size: 2, ready: 2, busy: 0, queued: 0, restarts: 0 });
  // Measure this thread's timer gaps while both threads run inference.
  const gaps: number[] = [];
  const control = await startControlTicker(5);
  // Counted from here: starting the control process is not a gap of this thread's.
  let last = performance.now();
  const timer = setInterval(() => { const now = performance.now(); gaps.push(now - last); last = now; }, 5);
  const text = 'The quick brown fox jumps over the lazy dog. It was not amused! Was it?';
  const [a, b] = await Promise.all([collect(pool, text), collect(pool, text)]);
  clearInterval(timer);
  const idle = await control.stop();
  t.is(a.phonemized!.sentences, 3);
  t.is(a.chunks.length, 3);
  for (const chunk of a.chunks) {
    // Piper output is a whole number of hops of 256 samples; a sentence is well over 0.3 s.
    t.is(chunk.length % 256, 0);
    t.true(chunk.length > 0.3 * 22050);
    const peak = chunk.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    t.is(peak, 32767, 'peak-normalised per sentence');
  }
  t.deepEqual(a.chunks.map((c) => Buffer.from(c.buffer).toString('base64')), b.chunks.map((c) => Buffer.from(c.buffer).toString('base64')));
  // A percentile, not the maximum, against a control process ticking at the same time: on a
  // shared machine any process loses the CPU now and then. Inference on this thread would hold
  // every tick for a whole sentence (hundreds of ms), far beyond what the control sees.
  const busy = gapStats(gaps);
  t.log(`5 ms timer while inferring: p99 gap ${busy.p99.toFixed(1)} ms over ${busy.ticks} ticks; idle control ${idle.p99.toFixed(1)} ms`);
  t.true(busy.ticks > 20, `${busy.ticks} ticks`);
  t.true(busy.p99 < 2 * idle.p99 + 40, `p99 gap ${busy.p99.toFixed(1)} ms while inferring, control ${idle.p99.toFixed(1)} ms`);
});

test.serial('CUDA requested where it cannot load: CPU, with the reason, and it still speaks', async (t) => {
  const pool = await WorkerPool.start(1, await init({ mode: 'cuda' }), silent);
  t.teardown(() => pool.close());
  t.is(pool.provider, 'cpu');
  t.regex(pool.cudaError ?? '', /cuda|CUDA|shared library/);
  t.is((await collect(pool, 'Still speaking.')).chunks.length, 1);
});

test.serial('a corrupt model file fails start-up with a clear voice_invalid error naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tts-corrupt-'));
  const model = join(dir, 'broken.onnx');
  writeFileSync(model, Buffer.from('this is not an ONNX protobuf at all'.repeat(100)));
  copyFileSync(`${await voicePath()}.json`, `${model}.json`);
  const err = await t.throwsAsync(WorkerPool.start(2, await init({ modelPath: model, configPath: `${model}.json` }), silent));
  t.is((err as { code?: string }).code, 'voice_invalid');
  t.regex(err!.message, /broken\.onnx/);
});

test.serial('a thread that dies mid-job fails that job only and is replaced; the pool keeps its size', async (t) => {
  const pool = await WorkerPool.start(2, await init(), silent);
  t.teardown(() => pool.close());
  const long = 'This sentence keeps the thread busy for a while. '.repeat(20);
  const doomed = pool.run({ text: long, scales: deterministic }, {
    onSentence: () => { void pool.recycle(pool.stats().busy > 0 ? 0 : 1); },
  });
  const err = await t.throwsAsync(doomed);
  t.is((err as { code?: string }).code, 'worker_crashed');
  const deadline = Date.now() + 30_000;
  while (pool.stats().ready < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.like(pool.stats(), { size: 2, ready: 2, restarts: 1 });
  const results = await Promise.all([collect(pool, 'One.'), collect(pool, 'Two.')]);
  t.deepEqual(results.map((r) => r.chunks.length), [1, 1]);
});
