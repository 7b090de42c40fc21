// A process's CPU time from /proc/<pid>/stat (Linux), for the bench's accounting and for tests
// that compare a proxy's CPU for two loads measured side by side.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of /proc's CPU times. */
export const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function statFields(pid: number, tid?: number): string[] | undefined {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid`, in seconds (0 if it is gone). */
export function cpuSecondsOf(pid: number): number {
  const f = statFields(pid);
  // stat(5): utime is field 14, stime 15; f[0] is field 3.
  return f ? (Number(f[11]) + Number(f[12])) / CLK_TCK : 0;
}

/**
 * Where a process's CPU went, in seconds: its main thread (the event loop, where the JavaScript
 * runs) in user and in kernel mode, and every other thread together (V8's collector and compiler
 * helpers, libuv's pool), as the process's total less the main thread's. A V8 CPU profile cannot
 * tell these apart: it samples the main thread by wall clock, so time spent descheduled inside
 * a system call shows up as that call's, and the helpers do not appear at all.
 */
export interface CpuSplit {
  readonly mainUser: number;
  readonly mainSystem: number;
  readonly otherThreads: number;
}

export function cpuSplitOf(pid: number): CpuSplit {
  const main = statFields(pid, pid);
  const mainUser = main ? Number(main[11]) / CLK_TCK : 0;
  const mainSystem = main ? Number(main[12]) / CLK_TCK : 0;
  return { mainUser, mainSystem, otherThreads: Math.max(0, cpuSecondsOf(pid) - mainUser - mainSystem) };
}
