// Bounds of the per-session message store (the stream protocol itself is tested end to end in
// api.test.ts and wire-parity.test.ts).
import test from 'ava';
import { SessionStreams } from '../../../upstream-tts/src/gradio-api/sessions.js';

const output = { data: [{ path: '/tmp/x/audio.wav' }], duration: 0.1, averageDuration: 0.1 };

test('finished sessions nobody reads are forgotten oldest first beyond the cap; pending ones never', (t) => {
  const streams = new SessionStreams({ heartbeatMs: 60_000, idleTtlMs: 60_000, maxBufferBytes: 1 << 20, maxSessions: 3 });
  t.teardown(() => streams.close());
  const pending = streams.sinkFor('busy', 'e0'); // never completes
  for (let i = 1; i <= 5; i++) streams.sinkFor(`s${i}`, `e${i}`).completed(output);
  t.is(streams.count, 3);
  t.is(streams.evictedSessions, 3);
  pending.estimation(0, 1, null);
  t.true(streams.count <= 3);
});

test('unread messages of one session are capped by bytes, the oldest dropped first', (t) => {
  const streams = new SessionStreams({ heartbeatMs: 60_000, idleTtlMs: 60_000, maxBufferBytes: 2_000, maxSessions: 10 });
  t.teardown(() => streams.close());
  const sink = streams.sinkFor('s', 'e');
  for (let i = 0; i < 50; i++) sink.generating({ ...output, data: [{ path: `/tmp/${i}/audio.wav` }] });
  t.true(streams.droppedMessages > 40);
});
