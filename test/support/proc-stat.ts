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

export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
