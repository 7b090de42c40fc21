// The queue's ordering and limits with a processor the test releases by hand; the real
// processor (pool, files, spans) is exercised end to end in gradio-api/api.test.ts.
import test from 'ava';
import { TtsError } from '../../../upstream-tts/src/errors.js';
import type { EventSink } from '../../../upstream-tts/src/jobs/event-sink.js';
import { JobQueue, type QueuedEvent } from '../../../upstream-tts/src/jobs/job-queue.js';

function recordingSink(log: string[], id: string): EventSink {
  return {
    estimation: (rank, size) => log.push(`${id}:estimation:${rank}/${size}`),
    starts: () => log.push(`${id}:starts`),
    generating: () => log.push(`${id}:generating`),
    completed: () => log.push(`${id}:completed`),
    failed: (e) => log.push(`${id}:failed:${e.code}`),
    cancelled: () => log.push(`${id}:cancelled`),
  };
}

function setup(concurrency: number, maxSize: number) {
  const log: string[] = [];
  const release = new Map<string, () => void>();
  const queue = new JobQueue<QueuedEvent>({ concurrency, maxSize }, (e) => new Promise<void>((resolve) => {
    release.set(e.id, () => { e.sink.completed({ data: [], duration: 0, averageDuration: 0 }); resolve(); });
  }));
  const push = (id: string) => queue.push({ id, sink: recordingSink(log, id), abort: new AbortController() });
  return { log, release, queue, push };
}

const tick = () => new Promise((r) => setImmediate(r));

test('runs at most `concurrency` at once and tells the waiting their rank as others finish', async (t) => {
  const { log, release, queue, push } = setup(1, 5);
  push('a');
  push('b');
  push('c');
  t.is(queue.active, 1);
  t.is(queue.size, 2);
  release.get('a')!();
  await tick();
  t.deepEqual(log, [
    'a:estimation:0/1', 'a:starts', 'b:estimation:0/1', 'c:estimation:1/2',
    'a:completed', 'b:starts', 'c:estimation:0/1',
  ]);
  t.true(queue.averageDuration()! >= 0);
});

test('a join beyond max size is refused with queue_full and the Gradio message; nothing is queued', (t) => {
  const { queue, push } = setup(1, 1);
  push('a'); // runs
  push('b'); // waits
  const err = t.throws(() => push('c'));
  t.true(err instanceof TtsError);
  t.is((err as TtsError).code, 'queue_full');
  t.is(err!.message, 'Queue is full. Max size is 1 and size is 1.');
  t.is(queue.size, 1);
});

test('cancel: a waiting event is reported cancelled at once; a running one is aborted', (t) => {
  const { log, queue } = setup(1, 5);
  const running = { id: 'a', sink: recordingSink(log, 'a'), abort: new AbortController() };
  queue.push(running);
  queue.push({ id: 'b', sink: recordingSink(log, 'b'), abort: new AbortController() });
  t.true(queue.cancel('b'));
  t.true(log.includes('b:cancelled'));
  t.true(queue.cancel('a'));
  t.true(running.abort.signal.aborted);
  t.false(queue.cancel('nope'));
});
