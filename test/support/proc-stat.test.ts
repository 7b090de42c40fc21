// The CPU split the bench prints: work done on a worker thread must land in otherThreads, work on
// the main thread in mainUser. Fixed amounts of work, not wall-clock spins, so a busy machine
// changes how long it takes, never how much CPU it is.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpuSecondsOf, cpuSplitOf } from './proc-stat.js';

// Optimized on the main thread, a worker's eval'd copy runs several times slower: both take well over 0.2 s.
const spin = (n: number): string => `let x = 0; for (let i = 0; i < ${n}; i++) x = (x + i) | 0; return x;`;

async function childAt(onMain: boolean): Promise<ChildProcess> {
  const script = onMain
    ? `(() => { ${spin(1.5e9)} })(); process.stdout.write('done\\n'); setInterval(() => {}, 1000);`
    : `const { Worker } = require('node:worker_threads');
       const w = new Worker(\`(() => { ${spin(4e8)} })(); require('node:worker_threads').parentPort.postMessage(1);\`, { eval: true });
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
