// Tracing must never be felt by users: Zipkin down changes nothing for requests, and SIGTERM
// still delivers the last request's spans (issue #2).
import test from 'ava';
import { raw } from '../support/http.js';
import { closedPort } from '../support/ports.js';
import { startProxy } from '../support/proxy.js';
import { startUpstream, JSON_BODY, sha256, type Upstream } from '../support/upstream.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

let up: Upstream;
test.before(async () => { up = await startUpstream(); });
test.after.always(async () => { await up?.close(); });

test('Zipkin unreachable: every request still succeeds', async (t) => {
  const deadPort = await closedPort();
  const proxy = await startProxy({ upstream: up.url, zipkinUrl: `http://127.0.0.1:${deadPort}`, env: { OTEL_BSP_SCHEDULE_DELAY: '10' } });
  try {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => raw(`${proxy.url}/json?i=${i}`)));
    t.true(results.every((r) => r.status === 200 && sha256(r.body) === sha256(JSON_BODY)));
    const sse = await raw(`${proxy.url}/sse`);
    t.true(sse.body.toString().includes('process_completed'));
  } finally {
    t.is(await proxy.stop(), 0, 'and it still shuts down cleanly');
  }
});

test('SIGTERM: in-flight request completes, its spans and the last request’s reach Zipkin, exit 0', async (t) => {
  // A long schedule delay: nothing is exported before shutdown, so only the flush can deliver.
  const proxy = await startProxy({ upstream: up.url, zipkinUrl: await zipkinUrl(), env: { OTEL_BSP_SCHEDULE_DELAY: '600000' } });
  const last = await raw(`${proxy.url}/json`);
  const inflight = raw(`${proxy.url}/sse/gated`);
  await new Promise((r) => setTimeout(r, 200));
  const exit = proxy.stop('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  up.releaseGate();
  const streamed = await inflight;
  t.true(streamed.body.toString().includes('process_completed'), 'the in-flight stream was allowed to finish');
  t.is(await exit, 0);
  const spans = await getTrace(String(last.headers['x-trace-id']), { minSpans: 2, timeoutMs: 10_000 });
  t.is(spans.length, 2);
  const streamSpans = await getTrace(String(streamed.headers['x-trace-id']), { minSpans: 2, timeoutMs: 10_000 });
  t.is(streamSpans.length, 2);
});
