// body-scavenger.ts: a young-generation collection asked for once the forwarded body bytes since
// the last collection pass the budget; any collection resets the count; V8 really collects.
import test from 'ava';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { BodyScavenger } from '../../proxy/src/body-scavenger.js';

type Asked = { type: string; execution: string };

/** Resolves with the first garbage collection V8 reports after the call. */
function nextCollection(): Promise<PerformanceEntry> {
  return new Promise((resolve) => {
    const o = new PerformanceObserver((list) => { o.disconnect(); resolve(list.getEntries()[0]!); });
    o.observe({ entryTypes: ['gc'] });
  });
}

/** Makes garbage until V8 collects on its own. */
async function collectByAllocating(): Promise<void> {
  const seen = nextCollection();
  let done = false;
  void seen.then(() => { done = true; });
  let sink: unknown[] = [];
  while (!done) {
    for (let i = 0; i < 10_000; i++) sink.push({ i });
    sink = [];
    await new Promise((r) => setImmediate(r));
  }
  await seen;
  // The scavenger's own observer is told in a later turn than ours may be.
  await new Promise((r) => setTimeout(r, 20));
}

test('asks for one asynchronous young-generation collection each time the budget is passed', (t) => {
  const asked: Asked[] = [];
  const s = new BodyScavenger(1000, (o) => void asked.push(o));
  t.teardown(() => s.stop());
  s.passed(600);
  t.is(asked.length, 0);
  s.passed(399);
  t.is(asked.length, 0);
  s.passed(1);
  t.deepEqual(asked, [{ type: 'minor', execution: 'async' }]);
  // The count starts again from the collection it asked for.
  s.passed(999);
  t.is(asked.length, 1);
  s.passed(5000);
  t.is(asked.length, 2);
});

test('a collection V8 ran on its own resets the count', async (t) => {
  const asked: Asked[] = [];
  const s = new BodyScavenger(1000, (o) => void asked.push(o));
  t.teardown(() => s.stop());
  s.passed(900);
  await collectByAllocating();
  s.passed(900);
  t.is(asked.length, 0, 'the 900 bytes before the collection were freed by it');
  s.passed(100);
  t.is(asked.length, 1);
});

test('without a collector it only counts, and never throws', (t) => {
  const s = new BodyScavenger(10, undefined);
  t.notThrows(() => { for (let i = 0; i < 100; i++) s.passed(64 << 10); });
  s.stop();
});

test('a collector that throws or rejects is dropped, not raised into the body\'s event', async (t) => {
  let calls = 0;
  const throwing = new BodyScavenger(10, () => { calls++; throw new Error('no'); });
  t.teardown(() => throwing.stop());
  t.notThrows(() => { throwing.passed(10); throwing.passed(10); });
  t.is(calls, 1);
  const rejecting = new BodyScavenger(10, () => { calls++; return Promise.reject(new Error('no')); });
  t.teardown(() => rejecting.stop());
  rejecting.passed(10);
  await new Promise((r) => setImmediate(r));
  rejecting.passed(10);
  t.is(calls, 2);
});

test('V8 collects when asked: a real collection follows passing the budget', async (t) => {
  const s = new BodyScavenger(1 << 20);
  t.teardown(() => s.stop());
  const collected = nextCollection();
  s.passed(1 << 20);
  const entry = await collected;
  t.is((entry as unknown as { detail: { kind: number } }).detail.kind, constants.NODE_PERFORMANCE_GC_MINOR);
});
