import test from 'ava';
import { within } from '../../proxy/src/within.js';

const pendingTimers = () => (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test.serial('resolves when the promise settles, and takes its timer with it', async (t) => {
  const before = pendingTimers();
  await within(Promise.resolve(), 60_000);
  await within(Promise.reject(new Error('x')), 60_000);
  t.is(pendingTimers(), before, 'no timer left behind');
});

test.serial('resolves after the bound when the promise never settles', async (t) => {
  const started = performance.now();
  // within()'s timer is unref'd (it never holds the process open): this one keeps the test alive.
  const alive = setTimeout(() => undefined, 5000);
  await within(new Promise(() => undefined), 50);
  clearTimeout(alive);
  t.true(performance.now() - started >= 45);
});
