// The CPU split the bench prints: work done on a worker thread must land in otherThreads, work on
// the main thread in mainUser. The child spins until the process has used a fixed amount of CPU
// (process.cpuUsage(): the other thread idles meanwhile), not for a number of iterations or a
// wall-clock time: a busy machine changes how long that takes, never how much CPU it is, and a
// faster one cannot finish early (a fixed 4e8 iterations took 0.17 s on one machine, under the
// 0.2 s asserted below).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpuSecondsOf, cpuSplitOf } from './proc-stat.js';

const SPIN_CPU_MS = 400;
const spin = `const until = process.cpuUsage().user + ${SPIN_CPU_MS * 1000}; let x = 0;
  while (process.cpuUsage().user < until) for (let i = 0; i < 1e6; i++) x = (x + i) | 0;
  return x;`;

async function childAt(onMain: boolean): Promise<ChildProcess> {
  const script = onMain
    ? `(() => { ${spin} })(); process.stdout.write('done\\n'); setInterval(() => {}, 1000);`
    : `const { Worker } = require('node:worker_threads');
       const w = new Worker(\`(() => { ${spin} })(); require('node:worker_threads').parentPort.postMessage(1);\`, { eval: true });
       w.once('message', () => process.stdout.write('done\\n')); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

for (const onMain of [true, false]) {
  test(`work on the ${onMain ? 'main thread' : 'worker thread'} is charged to ${onMain ? 'mainUser' : 'otherThreads'}`, async (t) => {
    const child = await childAt(onMain);
    try {
      const split = cpuSplitOf(child.pid!);
      const total = cpuSecondsOf(child.pid!);
      t.true(total > 0.2, `the spin took ${total} s of CPU`);
      t.true(Math.abs(split.mainUser + split.mainSystem + split.otherThreads - total) < 0.02);
      const [spun, other] = onMain ? [split.mainUser, split.otherThreads] : [split.otherThreads, split.mainUser];
      t.true(spun > 2 * other, JSON.stringify(split));
    } finally {
      child.kill('SIGKILL');
    }
  });
}

test('a process that is gone reads as no CPU', (t) => {
  t.deepEqual(cpuSplitOf(2 ** 22 + 12345), { mainUser: 0, mainSystem: 0, otherThreads: 0 });
});
