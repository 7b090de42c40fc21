import test from 'ava';
import { trace } from '@opentelemetry/api';
import { createHmac } from 'node:crypto';
import { buildGradioContext } from '../../../proxy/src/gradio/context.js';

const noCounters = { parseError: () => undefined, evicted: () => undefined };

test('gradio.session is the HMAC of the session hash under the configured key, remembered or not', (t) => {
  const g = buildGradioContext(trace.getTracer('context-test'), {
    sessionKey: 'k3y', probeOutputs: false, predictionTtlMs: 60_000, maxPredictions: 10, maxFiles: 10, fileTtlMs: 60_000, maxAudioS: 600, maxTextChars: 10_000,
  }, noCounters);
  const expected = (raw: string) => createHmac('sha256', 'k3y').update(raw).digest('hex').slice(0, 16);
  // Past the memory's bound and back: every answer is still the HMAC.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 5000; i++) {
      const raw = `s${i}`;
      if (g.session(raw) !== expected(raw)) return t.fail(`session ${raw}, round ${round}`);
    }
  }
  t.not(g.session('a'), g.session('b'));
  t.is(g.session('a'), expected('a'));
});
