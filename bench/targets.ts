// The processes the bench starts, and how to stop every one of them. Each target is a real
// process listening on 127.0.0.1 (never a function in the bench's own process), so the numbers
// include what a deployment pays: the kernel's loopback hops and one more event loop per hop.
//
// Child processes are spawned through `setpriv --pdeathsig SIGKILL` when util-linux has it (as
// test/support/proc.ts does), so even a SIGKILLed bench leaves nothing running; the normal,
// error and Ctrl-C paths stop them explicitly via stopAll().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNginx, type RunningNginx } from '../test/support/nginx.js';
import { freePort, waitForPort } from '../test/support/ports.js';
import { CLK_TCK, cpuSecondsOf, cpuSplitOf, statFields, type CpuSplit } from '../test/support/proc-stat.js';
import { PROXY_NODE_FLAGS } from '../proxy/src/node-flags.js';

const HERE = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
/** The real CLI, as deployed (`tts-trace-proxy` → dist/proxy/src/main.js). */
export const PROXY_MAIN = HERE('../proxy/src/main.js');
export const UPSTREAM_JS = HERE('./upstream.js');
export const PLAIN_PROXY_JS = HERE('./plain-proxy.js');
export const LOAD_JS = HERE('./load.js');

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | string>;
  /** The last 64 KiB of stderr (and of stdout when it is piped). */
  output(): string;
  /** SIGTERM (or `signal`), SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
// Last resort for paths that skip stopAll (an uncaught exception): never leave a child behind.
process.on('exit', () => {
  for (const c of live) c.proc.kill('SIGKILL');
});

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** 'ignore' sends stdout to /dev/null: the process still writes it, nobody has to read it. */
  stdout?: 'pipe' | 'ignore';
  onLine?: (line: string) => void;
}

export function spawnChild(name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): Child {
  const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', cmd, ...args]] : [cmd, [...args]];
  const proc = spawn(file, argv, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const keep = (s: string): void => {
    tail = (tail + s).slice(-65536);
  };
  proc.stderr?.on('data', (c: Buffer) => keep(c.toString('utf8')));
  proc.stdout?.on('data', (c: Buffer) => {
    const s = c.toString('utf8');
    keep(s);
    if (!opts.onLine) return;
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) opts.onLine(line);
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('error', (err) => {
      keep(`\n[spawn error] ${err.message}\n`);
      resolve('spawn-error');
    });
    // 'close', not 'exit': by then stdout is drained, so a child's last line (the load
    // generator's result) has been seen.
    proc.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const child: Child = {
    name,
    proc,
    pid: proc.pid ?? -1,
    exited,
    output: () => tail,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Resolves when `port` accepts connections; rejects early with the child's output if it dies. */
async function ready(child: Child, port: number): Promise<void> {
  await Promise.race([
    waitForPort(port),
    child.exited.then((code) => {
      throw new Error(`${child.name} exited (${code}) during start-up:\n${child.output()}`);
    }),
  ]);
}

export interface Target {
  readonly name: string;
  readonly url: string;
  /** Processes whose CPU time is charged to this target (the proxies on its path). */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startUpstream(sseEvents: number, sseIntervalMs: number): Promise<Target & { child: Child }> {
  const port = await freePort();
  const child = spawnChild('upstream', process.execPath, [UPSTREAM_JS, '--port', String(port), '--sse-events', String(sseEvents), '--sse-interval-ms', String(sseIntervalMs)]);
  await ready(child, port);
  return { name: 'upstream', url: `http://127.0.0.1:${port}`, child, pids: () => [child.pid], stop: () => child.stop() };
}

export async function startPlainProxy(upstream: string): Promise<Target & { child: Child }> {
  const port = await freePort();
  const child = spawnChild('plain-proxy', process.execPath, [PLAIN_PROXY_JS, '--upstream', upstream, '--port', String(port)]);
  await ready(child, port);
  return { name: 'plain-proxy', url: `http://127.0.0.1:${port}`, child, pids: () => [child.pid], stop: () => child.stop() };
}

export interface TracedProxy extends Target {
  readonly child: Child;
  readonly port: number;
  readonly adminUrl: string;
}

/**
 * The real CLI with production defaults (batch span processor: 1 s schedule, 8192 queue, 512
 * batch; access log on stdout) except that spans go to `zipkinSpansUrl`. Every request is
 * sampled: the sampler is parent-based with an always-on root and the load carries no trace
 * context. stdout (the access log) goes to /dev/null, so the proxy pays for writing each line
 * and the bench does not pay for reading it. `nodeArgs` (env BENCH_PROXY_NODE_ARGS) is for
 * profiling, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 */
export async function startTracedProxy(upstream: string, zipkinSpansUrl: string, serviceName: string, nodeArgs: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, extraArgs: readonly string[] = []): Promise<TracedProxy> {
  const port = await freePort();
  const adminPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkinSpansUrl,
    OTEL_SERVICE_NAME: serviceName,
    ...extraEnv,
  };
  const child = spawnChild('tts-trace-proxy', process.execPath, [...PROXY_NODE_FLAGS, ...nodeArgs, PROXY_MAIN, '--upstream', upstream, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, ...extraArgs], { env, stdout: 'ignore' });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.proc.exitCode !== null) throw new Error(`tts-trace-proxy exited (${child.proc.exitCode}) during start-up:\n${child.output()}`);
    try {
      const r = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`tts-trace-proxy not healthy after 15 s:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: 'tts-trace-proxy', url: `http://127.0.0.1:${port}`, port, adminUrl, child, pids: () => [child.pid], stop: () => child.stop() };
}

/** nginx (the repository's template, rendered by the test support's only renderer) in front of `proxyPort`. */
export async function startNginxFront(proxyPort: number): Promise<Target & { nginx: RunningNginx }> {
  const nginx = await startNginx({ proxyPort });
  // The master is the process whose command line names our runtime dir; workers are its children.
  const pids = (): number[] => {
    const master = findPids((pid, cmdline) => cmdline.includes(nginx.runtimeDir) && cmdline.startsWith('nginx: master'))[0]
      ?? findPids((pid, cmdline) => cmdline.includes(nginx.runtimeDir) && /nginx/.test(cmdline))[0];
    if (master === undefined) return [];
    return [master, ...findPids((pid) => parentOf(pid) === master)];
  };
  let stopped = false;
  return {
    name: 'nginx',
    url: nginx.url,
    nginx,
    pids,
    async stop() {
      if (stopped) return;
      stopped = true;
      await nginx.stop();
    },
  };
}

// ---- CPU accounting from /proc (Linux): where do the 2 cores go during a measurement? ----

export { cpuSecondsOf, cpuSplitOf, type CpuSplit };

function parentOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

/** CPU seconds the whole machine spent busy (all cores; everything but idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function findPids(match: (pid: number, cmdline: string) => boolean): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (match(pid, cmdline)) out.push(pid);
  }
  return out;
}

/** Stops every child still running (load generators, proxies, upstream). Idempotent. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop('SIGTERM', 5_000)));
}
