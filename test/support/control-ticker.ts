// A control for timing checks on a shared machine: a separate, idle Node process that runs the
// same timer as the code under test, at the same time. Whatever the machine does to it (other
// jobs, stress-ng, the test's own load) it does to the code under test too, so a check reads
// "no worse than the control by more than X", never an absolute bound.
import { spawn } from 'node:child_process';

export interface TickerStats {
  readonly ticks: number;
  /** Gaps between ticks, in ms (an idle loop reads about the interval). */
  readonly p99: number;
  readonly max: number;
}

export function gapStats(gaps: readonly number[]): TickerStats {
  const sorted = [...gaps].sort((a, b) => a - b);
  return { ticks: gaps.length, p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

const SCRIPT = `
let last = performance.now(); const gaps = [];
const t = setInterval(() => { const now = performance.now(); gaps.push(now - last); last = now; }, Number(process.argv[1]));
process.stdin.on('data', () => { clearInterval(t); process.stdout.write(JSON.stringify(gaps)); process.exit(0); });
`;

/** Starts the control ticking every `intervalMs`; `stop()` ends it and returns its gap statistics. */
export async function startControlTicker(intervalMs: number): Promise<{ stop(): Promise<TickerStats> }> {
  const child = spawn(process.execPath, ['-e', SCRIPT, String(intervalMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Ticking only counts once the child runs; its first tick shows that.
  await new Promise((r) => setTimeout(r, 200));
  return {
    async stop() {
      child.stdin!.write('x');
      await exited;
      return gapStats(JSON.parse(out || '[]') as number[]);
    },
  };
}
