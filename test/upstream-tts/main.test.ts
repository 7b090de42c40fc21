// The CLI: help, refusal of bad voices and flags with a clear message, CUDA fallback.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { predictViaQueue, startWorker, voicePath, WORKER_MAIN } from './helpers.js';

const exec = promisify(execFile);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [WORKER_MAIN, ...args], { env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const scratch = () => mkdtempSync(join(tmpdir(), 'tts-cli-'));

test('--help lists every option with its environment variable and default', async (t) => {
  const { code, stdout } = await cli(['--help']);
  t.is(code, 0);
  t.regex(stdout, /^Usage: tts-worker \[options\]/);
  for (const flag of ['--voice', '--listen', '--workers', '--threads', '--execution-provider', '--max-queue-size', '--heartbeat-interval']) {
    t.true(stdout.includes(flag), flag);
  }
  t.regex(stdout, /\$OTEL_EXPORTER_ZIPKIN_ENDPOINT/);
});

test('a missing voice file: exit 1, the path named, no stack trace', async (t) => {
  const { code, stderr } = await cli(['--voice', '/nonexistent/voice.onnx', '--listen', '127.0.0.1:0']);
  t.is(code, 1);
  t.is(stderr.trim(), 'tts-worker: voice model not found: /nonexistent/voice.onnx');
});

test('no voice given and none cached: the hint says how to fetch the default voice', async (t) => {
  const { code, stderr } = await cli(['--listen', '127.0.0.1:0'], { TTS_TRACE_PROXY_CACHE: scratch() });
  t.is(code, 1);
  t.regex(stderr, /voice model not found: .*en_US-joe-medium\.onnx/);
  t.regex(stderr, /scripts\/setup-voice\.sh/);
});

test('a corrupt model or config: exit 1 with what is wrong', async (t) => {
  const dir = scratch();
  const model = join(dir, 'corrupt.onnx');
  writeFileSync(model, Buffer.alloc(4096, 7));
  copyFileSync(`${await voicePath()}.json`, `${model}.json`);
  const bad = await cli(['--voice', model, '--listen', '127.0.0.1:0', '--workers', '1']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^tts-worker: cannot load voice model .*corrupt\.onnx: /);
  t.false(bad.stderr.includes('    at '), 'no stack trace');
  const json = join(dir, 'badjson.onnx');
  copyFileSync(await voicePath(), json);
  writeFileSync(`${json}.json`, '{ "audio": { "sample_rate": 22050 }');
  const badJson = await cli(['--voice', json, '--listen', '127.0.0.1:0']);
  t.is(badJson.code, 1);
  t.regex(badJson.stderr, /voice config is not valid JSON: .*badjson\.onnx\.json/);
});

test('bad flags exit 2 with the option named', async (t) => {
  t.like(await cli(['--workers', 'many']), { code: 2 });
  t.regex((await cli(['--execution-provider', 'tpu'])).stderr, /--execution-provider.*"tpu" is not one of auto, cpu, cuda/);
  t.regex((await cli(['stray'])).stderr, /unexpected argument "stray"/);
});

test('--execution-provider cuda where CUDA cannot load: a warning, CPU, and it serves', async (t) => {
  const worker = await startWorker({ args: ['--execution-provider', 'cuda', '--workers', '1'] });
  t.teardown(() => worker.stop());
  const warning = worker.process.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.level === 'warn');
  t.like(warning, { msg: 'CUDA was requested but cannot be used; running on CPU' });
  t.truthy(warning?.reason);
  t.is((await worker.health()).execution_provider, 'cpu');
  const { messages } = await predictViaQueue(worker.url, ['Running on the CPU after all.']);
  t.like(messages.find((m) => m.msg === 'process_completed'), { success: true });
});

test('SIGTERM while synthesising: the running event ends, the process exits 0 (no native abort)', async (t) => {
  const worker = await startWorker();
  const long = 'A long text keeps both threads busy while the signal arrives. '.repeat(12);
  const joins = await Promise.all([1, 2].map((i) => fetch(`${worker.url}/gradio_api/call/synthesize`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [`${i}. ${long}`] }),
  })));
  t.true(joins.every((r) => r.ok));
  await new Promise((r) => setTimeout(r, 300)); // inside session.run by now
  worker.process.child.kill('SIGTERM');
  // The child is unref'd (test/support/proc.ts): a timer keeps this test process waiting for it.
  const code = await Promise.race([worker.process.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
  t.is(code, 0, worker.process.output().slice(-2000));
});
