// Bad input on both transports: a clear error every time, and the worker keeps serving with its
// whole pool (some of these reach an inference thread before they fail).
import test from 'ava';
import { postJson, predictViaQueue, readSse, startWorker, type RunningWorker } from './helpers.js';

let worker: RunningWorker;
test.before(async () => { worker = await startWorker(); });
test.after.always(async () => { await worker?.stop(); });

const CASES: [name: string, data: unknown[], message: RegExp][] = [
  ['empty text', [''], /^text is empty$/],
  ['whitespace only', [' \n\t '], /^text is empty$/],
  ['10,000 characters', ['word '.repeat(2000)], /^text is 10000 characters long; the limit is 5000$/],
  ['unsupported script', ['Hello 世界'], /text contains "世" \(U\+4E16 at position 6\), which the en-us voice cannot speak/],
  ['emoji', ['Nice 👍 work'], /^text contains an emoji \(U\+1F44D at position 5\)/],
  ['control character', ['bad\u0000byte'], /^text contains a control character \(U\+0000 at position 3\)/],
  ['escape sequence', ['\u001b[31mred'], /^text contains a control character \(U\+001B at position 0\)/],
  ['nothing to speak', ['?! ... "" - -'], /^text has nothing to speak/],
  ['text not a string', [42], /^text must be a string$/],
  ['speed out of range', ['Hi.', 100], /^speed must be between 0.25 and 4, got 100$/],
  ['noise_w not a number', ['Hi.', 1, 0.5, 'loud'], /^noise_w must be a number$/],
];

for (const [name, data, message] of CASES) {
  test(`queue: ${name} -> process_completed success:false with a message`, async (t) => {
    const { messages } = await predictViaQueue(worker.url, data);
    const done = messages.find((m) => m.msg === 'process_completed')!;
    t.false(done.success);
    t.like(done.output, { visible: true, title: 'Error' });
    t.regex(done.output.error as string, message);
    t.is(messages.at(-1)!.msg, 'close_stream');
  });

  test(`call: ${name} -> event: error with a message`, async (t) => {
    const post = await postJson(`${worker.url}/gradio_api/call/synthesize`, { data });
    t.is(post.status, 200);
    const { frames } = await readSse(`${worker.url}/gradio_api/call/synthesize/${post.body.event_id}`);
    const last = frames.at(-1)!;
    t.is(last.event, 'error');
    t.regex((JSON.parse(last.data) as { error: string }).error, message);
  });
}

test.after('afterwards the worker still serves, with every thread alive and none restarted', async (t) => {
  const { messages } = await predictViaQueue(worker.url, ['Still here, and still speaking.']);
  t.like(messages.find((m) => m.msg === 'process_completed'), { success: true });
  const health = await worker.health();
  t.like(health.pool, { size: 2, ready: 2, restarts: 0 });
  t.is(worker.process.child.exitCode, null);
});
