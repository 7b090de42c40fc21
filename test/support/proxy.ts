// Starts the real CLI (`node dist/proxy/src/main.js`) as a child process on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { PROXY_NODE_FLAGS } from '../../proxy/src/node-flags.js';
import { freePort } from './ports.js';

export const MAIN = fileURLToPath(new URL('../../proxy/src/main.js', import.meta.url));

export interface RunningProxy {
  readonly url: string;
  readonly port: number;
  readonly adminUrl: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ProxyOptions {
  readonly upstream: string;
  readonly zipkinUrl?: string;
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  /** Node flags after the shipped ones (e.g. `--trace-gc`). */
  readonly nodeArgs?: readonly string[];
  /** Serve the admin port on this unix socket instead of a TCP port (`adminUrl` is then unusable). */
  readonly adminSocket?: string;
  /** Picks a port that is free now (tests of this harness pass one that is not). */
  readonly freePort?: () => Promise<number>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

function healthy(adminUrl: string, socketPath: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(socketPath ? 'http://localhost/healthz' : `${adminUrl}/healthz`, { socketPath, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** Tries a start this many times when a port it picked was taken before the proxy could bind it. */
const PORT_ATTEMPTS = 5;

/**
 * The ports are picked free a moment before the proxy binds them; under a busy suite another
 * process (an outgoing connection's ephemeral port, a concurrent start) can take one in between,
 * and the proxy then exits with EADDRINUSE. That start is tried again on fresh ports.
 */
export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(opts: ProxyOptions): Promise<RunningProxy> {
  const pick = opts.freePort ?? freePort;
  const port = await pick();
  const adminPort = await pick();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    OTEL_SERVICE_NAME: 'tts-trace-proxy-test',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_TRACES_EXPORTER: opts.zipkinUrl ? 'zipkin' : 'none',
    ...(opts.zipkinUrl ? { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${opts.zipkinUrl}/api/v2/spans` } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, ...(opts.nodeArgs ?? []), MAIN, '--upstream', opts.upstream, '--listen', `127.0.0.1:${port}`, '--admin', opts.adminSocket ? `unix:${opts.adminSocket}` : `127.0.0.1:${adminPort}`, ...(opts.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { live.delete(child); resolve(code); }));
  // 'close' comes once stderr is read to its end: the reason for an early exit is in it by then.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      const message = `proxy exited early (${child.exitCode}): ${err}`;
      throw /"cannot listen".*EADDRINUSE/.test(err) ? new PortTaken(message) : new Error(message);
    }
    try {
      if (await healthy(adminUrl, opts.adminSocket)) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`proxy did not become healthy: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`, port, adminUrl, child,
    stdout: () => out, stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Access-log lines (JSON) the proxy printed on stdout so far. */
export function accessLog(p: RunningProxy): Record<string, unknown>[] {
  return p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The process is running and its /healthz answers 200 within a second. */
export async function alive(p: RunningProxy): Promise<boolean> {
  if (p.child.exitCode !== null) return false;
  try {
    return (await fetch(`${p.adminUrl}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}
