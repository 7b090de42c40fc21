import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Shown in errors and as the prefix of TEST_VERBOSE=1 output. */
  name?: string;
  /** Do not keep this process alive for the child (a shared service killed at exit anyway). */
  unref?: boolean;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Signals the process (default SIGTERM), waits up to 10 s, then SIGKILL. Resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** stdout and stderr interleaved (the last 1 MiB). */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

const OUTPUT_LIMIT = 1 << 20;
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

// setpriv (util-linux) asks the kernel to SIGKILL the child if this process dies without running
// its exit handler (a test worker killed on timeout), so no Zipkin or Gradio outlives a run.
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** Starts a long-running child with piped output; every child is killed when this process exits. */
export function startProcess(cmd: string, args: readonly string[], options: StartOptions = {}): RunningProcess {
  const name = options.name ?? cmd;
  const [file, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", cmd, ...args]] : [cmd, [...args]];
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  // Children never keep the test worker alive: the exit handler above kills them.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  let buffered = "";
  const collect = (chunk: Buffer): void => {
    buffered += chunk.toString("utf8");
    if (buffered.length > OUTPUT_LIMIT) buffered = buffered.slice(-OUTPUT_LIMIT);
    if (process.env.TEST_VERBOSE === "1") process.stderr.write(`[${name}] ${chunk.toString("utf8")}`);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  if (options.unref) {
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("error", (err) => {
      buffered += `\n[spawn error] ${err.message}\n`;
      live.delete(child);
      resolve("spawn-error");
    });
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
  });

  const running = (): boolean => child.exitCode === null && child.signalCode === null && live.has(child);
  return {
    child,
    exited,
    output: () => buffered,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (!running()) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface WaitForHttpOptions {
  timeoutMs?: number;
  /** Which statuses count as ready: a status, a list, or a predicate. Default: 2xx. */
  okStatus?: number | readonly number[] | ((status: number) => boolean);
  /** Fail early (with its output) when this process exits before the URL answers. */
  process?: RunningProcess;
  /**
   * An answer counts only once this holds too: proof that the process answering is the one
   * started (e.g. its own "listening" line), not another server on the same port.
   */
  ready?: () => boolean;
}

/** Polls `url` with GET until it answers with an accepted status. */
export async function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<void> {
  const { timeoutMs = 30_000, okStatus, process: proc, ready = () => true } = options;
  const accept =
    typeof okStatus === "function"
      ? okStatus
      : typeof okStatus === "number"
        ? (s: number) => s === okStatus
        : Array.isArray(okStatus)
          ? (s: number) => okStatus.includes(s)
          : (s: number) => s >= 200 && s < 300;
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  let exited = false;
  void proc?.exited.then(() => (exited = true));
  for (;;) {
    if (exited && proc) {
      throw new Error(`process exited before ${url} answered:\n${proc.output().slice(-4000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (accept(res.status) && ready()) return;
      last = accept(res.status) ? `HTTP ${res.status}, but not from the process started` : `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      const tail = proc ? `\n${proc.output().slice(-4000)}` : "";
      throw new Error(`${url} not ready after ${timeoutMs} ms (${last})${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The repository root: the nearest ancestor of this file that has scripts/lib.sh. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "scripts", "lib.sh"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("repository root (scripts/lib.sh) not found");
    dir = parent;
  }
  return dir;
})();

/** Runs scripts/<name> with bash and resolves with its trimmed stdout (its one result line). */
export function runScript(name: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      [join(repoRoot, "scripts", name), ...args],
      { env: { ...process.env, ...env }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`scripts/${name} failed: ${err.message}\n${stderr}`));
        else resolve(stdout.trim());
      },
    );
  });
}
