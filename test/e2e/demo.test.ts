// The README's main command, run as a new user would (issue #6): from a fresh clone, the demo
// brings up both worker arms, the proxy, nginx and Zipkin; one generation through nginx shows up
// in Zipkin with its arm; Ctrl-C (SIGINT to the process group) leaves no process behind.
import { Client } from '@gradio/client';
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { portFree, quietPort } from '../support/ports.js';
import { repoRoot } from '../support/proc.js';

/** PIDs whose command line mentions `needle` (our own ava worker excluded). */
function processesWith(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && !/^\S*\bps\b/.test(cmd)) out.push(`${pid}: ${cmd.slice(0, 160)}`);
    } catch { /* gone */ }
  }
  return out;
}

/**
 * The demo's five ports, each its own, with APP_PORT+10 (the canary's) free and apart from the
 * others too: the demo refuses two of its ports on one number before it checks anything else.
 */
async function demoPorts(): Promise<{ APP_PORT: number; PROXY_PORT: number; ADMIN_PORT: number; NGINX_PORT: number; ZIPKIN_PORT: number }> {
  const ports = { APP_PORT: await quietPort(), PROXY_PORT: await quietPort(), ADMIN_PORT: await quietPort(), NGINX_PORT: await quietPort(), ZIPKIN_PORT: await quietPort() };
  while (Object.values(ports).includes(ports.APP_PORT + 10) || !(await portFree(ports.APP_PORT + 10))) ports.APP_PORT = await quietPort();
  return ports;
}

const asEnv = (ports: Record<string, number>) => Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));

/** The demo run in this checkout with `env` added, to its exit: for the refusals it makes before building. */
function demoOutcome(env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['scripts/demo.sh'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('exit', (code) => resolve({ code, err }));
  });
}

test('a port the demo needs that another program holds: a clear error naming it, before anything is built or started', async (t) => {
  const ports = await demoPorts();
  const app = ports.APP_PORT;
  const other: Server = createServer((c) => c.end());
  await new Promise<void>((r) => other.listen(app, '127.0.0.1', r));
  try {
    const r = await demoOutcome(asEnv(ports));
    t.not(r.code, 0);
    t.regex(r.err, new RegExp(`port ${app} \\(APP_PORT\\) is already in use`));
    t.notRegex(r.err, /node dependencies and build/, 'nothing was built');
  } finally {
    other.close();
  }
});

test('two of the demo\'s ports given the same number: a clear error naming both, before anything is built or started', async (t) => {
  const ports = await demoPorts();
  const shared = ports.PROXY_PORT;
  const r = await demoOutcome(asEnv({ ...ports, ZIPKIN_PORT: shared }));
  t.not(r.code, 0);
  t.regex(r.err, new RegExp(`PROXY_PORT and ZIPKIN_PORT are both ${shared}`));
  t.notRegex(r.err, /node dependencies and build/, 'nothing was built');
});

test('demo: fresh clone, stack up, a generation in Zipkin, Ctrl-C stops everything', async (t) => {
  t.timeout(6 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'tts-demo-'));
  const clone = join(dir, 'tts-trace-proxy');
  execFileSync('git', ['clone', '-q', repoRoot, clone]);
  // The demo binds them minutes from now, after its build: ports no other test can be handed meanwhile.
  const ports = await demoPorts();
  const env = { ...process.env, ...asEnv(ports), CANARY_WEIGHT: '50' };
  delete (env as Record<string, string | undefined>).ZIPKIN_URL;
  const demo = spawn('bash', ['scripts/demo.sh'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  demo.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((r) => demo.on('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 5 * 60_000;
    while (!output.includes('demo is up')) {
      if (demo.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`demo not up in time:\n${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    t.true(output.includes(`http://127.0.0.1:${ports.NGINX_PORT}/`), 'nginx is the front');
    // One generation through nginx, on each arm.
    for (const arm of ['stable', 'canary']) {
      const client = await Client.connect(`http://127.0.0.1:${ports.NGINX_PORT}`, { headers: { 'x-canary': arm } });
      const r = await client.predict('/synthesize', { text: `Hello from the ${arm} arm.` });
      client.close?.();
      t.truthy(r.data, arm);
    }
    await new Promise((r) => setTimeout(r, 2500));
    const runDir = join(process.env.TTS_TRACE_PROXY_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'tts-trace-proxy'), 'run', `demo-${ports.PROXY_PORT}`);
    const joins = readFileSync(join(runDir, 'proxy-access.log'), 'utf8').split('\n').filter((l) => l.includes('"route":"/gradio_api/queue/join"')).map((l) => JSON.parse(l) as { trace_id: string; arm: string });
    t.deepEqual(joins.map((j) => j.arm).sort(), ['canary', 'stable']);
    for (const j of joins) {
      const spans = await (await fetch(`http://127.0.0.1:${ports.ZIPKIN_PORT}/api/v2/trace/${j.trace_id}`)).json() as { name: string; localEndpoint: { serviceName: string }; tags?: Record<string, string> }[];
      const names = spans.map((s) => s.name);
      t.true(names.includes('gradio.predict /synthesize'), JSON.stringify(names));
      t.true(names.includes('tts.synthesize'), 'the worker continued the trace');
      t.true(spans.some((s) => s.localEndpoint.serviceName === `upstream-tts-${j.arm}`));
      t.is(spans.find((s) => s.name === 'gradio.predict /synthesize')?.tags?.['tts.upstream.arm'], j.arm);
    }
  } finally {
    // Ctrl-C: SIGINT to the whole foreground process group.
    if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    t.not(code, 'timeout', 'the demo stopped');
    await new Promise((r) => setTimeout(r, 1000));
    const left = [...processesWith(clone), ...processesWith(`demo-${ports.PROXY_PORT}`), ...processesWith(`zipkin-server-`).filter((p) => p.includes(`=${ports.ZIPKIN_PORT} `))];
    t.deepEqual(left, [], 'no process left behind');
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  }
});
