// Inference runs on worker threads, never on the HTTP thread: while 4 requests synthesise, the
// session stream's heartbeats keep their rhythm and the process's own event-loop delay stays as
// low as an idle control process's, measured at the same time.
import test from 'ava';
import { messages, postJson, readSse, startWorker } from './helpers.js';
import { startControlTicker } from '../support/control-ticker.js';

const HEARTBEAT_S = 0.2;
const TEXT = 'The event loop must stay responsive while this text is being spoken. ' +
  'Every sentence is a separate inference run on a worker thread. Meanwhile the server keeps talking to its clients! ' +
  'Four of these requests arrive together, two run at once, and two wait in the queue for a free thread. ' +
  'Heartbeats are due every fifth of a second on the session stream, whatever the threads are doing.';

test('4 concurrent syntheses: heartbeats keep flowing, event-loop delay no worse than an idle control process', async (t) => {
  const worker = await startWorker({ args: ['--heartbeat-interval', String(HEARTBEAT_S)] });
  t.teardown(() => worker.stop());
  await worker.health(true); // start a fresh measurement window
  const session = 'loop-check';
  const joins = await Promise.all(Array.from({ length: 4 }, () =>
    postJson(`${worker.url}/gradio_api/queue/join`, { data: [TEXT, 1, 0.667, 0.8], fn_index: 0, session_hash: session })));
  t.deepEqual(joins.map((j) => j.status), [200, 200, 200, 200]);
  const control = await startControlTicker(10);
  const started = performance.now();
  const { frames } = await readSse(`${worker.url}/gradio_api/queue/data?session_hash=${session}`, { timeoutMs: 120_000 });
  const elapsedS = (performance.now() - started) / 1000;
  const health = await worker.health(true);
  const idle = await control.stop();

  const all = messages(frames);
  const completed = all.filter((m) => m.msg === 'process_completed');
  t.is(completed.length, 4);
  t.true(completed.every((m) => m.success));
  t.true(health.pool.busy === 0 && health.pool.size === 2);

  const beats = frames.filter((f) => JSON.parse(f.data).msg === 'heartbeat').map((f) => f.at);
  const gaps = beats.slice(1).map((at, i) => at - beats[i]!);
  const worstGap = Math.max(...gaps);
  t.log(`${elapsedS.toFixed(1)} s of synthesis, ${beats.length} heartbeats, worst gap ${worstGap.toFixed(0)} ms; ` +
    `event-loop delay p50 ${health.event_loop_delay.p50_ms} ms, p99 ${health.event_loop_delay.p99_ms} ms, max ${health.event_loop_delay.max_ms} ms`);
  t.true(elapsedS > 1, 'long enough to mean something');
  t.true(beats.length >= Math.floor((elapsedS / HEARTBEAT_S) * 0.7), `${beats.length} heartbeats in ${elapsedS.toFixed(1)} s`);
  // Against an idle process ticking every 10 ms meanwhile (the same timer monitorEventLoopDelay
  // uses, so both read about 10 ms when idle): whatever a busy machine costs the control, it may
  // cost the worker too, and inference on the HTTP thread would cost a whole sentence per tick.
  t.log(`idle control: p99 ${idle.p99.toFixed(1)} ms, max ${idle.max.toFixed(0)} ms over ${idle.ticks} ticks`);
  t.true(worstGap < HEARTBEAT_S * 1000 + 100 + idle.max, `worst heartbeat gap ${worstGap.toFixed(0)} ms, control's worst tick ${idle.max.toFixed(0)} ms`);
  t.true(health.event_loop_delay.samples > 50);
  t.true(health.event_loop_delay.p99_ms < 2 * idle.p99 + 30, `p99 ${health.event_loop_delay.p99_ms} ms, control ${idle.p99.toFixed(1)} ms`);
});
