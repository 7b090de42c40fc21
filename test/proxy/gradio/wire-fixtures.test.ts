// The Gradio observers against the bytes real Gradio versions sent (test/fixtures/gradio, recorded
// by record.ts from test/apps/echo_app.py): the app's /config, a queued /echo submission and its
// session's event stream, fed in arbitrary pieces. One prediction trace per version, the same shape.
import test from 'ava';
import fc from 'fast-check';
import { ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { buildGradioContext, type GradioContext } from '../../../proxy/src/gradio/context.js';
import { observe } from '../../../proxy/src/gradio/observe.js';
import { guardObserver, type Observer } from '../../../proxy/src/observer.js';
import { newState, type RequestState } from '../../../proxy/src/request-state.js';
import * as A from '../../../proxy/src/spans/attributes.js';
import { repoRoot } from '../../support/proc.js';
import { assertSpan } from '../../support/assert-span.js';

const VERSIONS = ['4.44.1', '5.4.0', '6.31.0'];
const UPSTREAM = new URL('http://127.0.0.1:1');
const fixture = (version: string, name: string) => readFileSync(join(repoRoot, 'test/fixtures/gradio', version, name));

function exchange(g: GradioContext, method: string, route: string, url: string): { o: Observer; state: RequestState } {
  const req = { method, url, headers: { host: 'app.test', 'content-type': 'application/json' } } as unknown as IncomingMessage;
  const state = newState(route, url, method, ROOT_CONTEXT);
  state.upstream = UPSTREAM;
  return { o: guardObserver(observe(g, state, req, state.startedAt)!), state };
}

const answer = (type: string) => ({ statusCode: 200, headers: { 'content-type': type } }) as unknown as IncomingMessage;

/** `bytes` in the pieces `cuts` makes. */
function feed(hook: (b: Buffer) => void, bytes: Buffer, cuts: readonly number[]): void {
  let at = 0;
  for (const c of [...new Set(cuts.map((x) => Math.floor(x * bytes.length)))].sort((a, b) => a - b)) {
    if (c > at) hook(bytes.subarray(at, c));
    at = Math.max(at, c);
  }
  hook(bytes.subarray(at));
}

async function replay(version: string, cuts: readonly number[]) {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('fixture-test');
  const g = buildGradioContext(tracer, {
    probeOutputs: false, predictionTtlMs: 60_000, maxPredictions: 100, maxFiles: 100, fileTtlMs: 60_000, maxAudioS: 600, maxTextChars: 10_000,
  }, { parseError: () => undefined, evicted: () => undefined });
  const config = JSON.parse(fixture(version, 'config.json').toString()) as { api_prefix?: string };
  const prefix = config.api_prefix ?? '';
  // The page's GET /config passes by first, as in a browser: the proxy learns the schema from it.
  const cfg = exchange(g, 'GET', '/config', '/config');
  cfg.o.onResponse!(answer('application/json'));
  feed((b) => cfg.o.onResponseChunk!(b), fixture(version, 'config.json'), cuts);
  cfg.o.onResponseEnd!();
  cfg.o.onClose!(false);
  await cfg.o.settled!();

  const join = exchange(g, 'POST', `${prefix}/queue/join`, `${prefix}/queue/join`);
  feed((b) => join.o.onRequestChunk!(b), fixture(version, 'join-request.json'), cuts);
  join.o.onRequestEnd!();
  join.o.onResponse!(answer('application/json'));
  feed((b) => join.o.onResponseChunk!(b), fixture(version, 'join-response.json'), cuts);
  join.o.onResponseEnd!();
  join.o.onClose!(false);
  await join.o.settled!();

  const data = exchange(g, 'GET', `${prefix}/queue/data`, `${prefix}/queue/data?session_hash=fixture0001`);
  data.o.onResponse!(answer('text/event-stream'));
  feed((b) => data.o.onResponseChunk!(b), fixture(version, 'queue-data.sse'), cuts);
  data.o.onResponseEnd!();
  data.o.onClose!(false);
  await data.o.settled!();
  await new Promise((r) => setTimeout(r, 20));
  return { mem, cfg: cfg.state, join: join.state, data: data.state, g };
}

for (const version of VERSIONS) {
  test(`Gradio ${version}: a queued /echo gives one completed prediction with its queue and process phases`, async (t) => {
    const { mem, cfg, data, g } = await replay(version, []);
    t.like(cfg.found.attributes, { [A.ATTR_GRADIO_VERSION]: version, [A.ATTR_GRADIO_PROTOCOL]: 'sse_v3' });
    const predict = mem.getFinishedSpans().filter((s) => s.name.startsWith(A.SPAN_GRADIO_PREDICT));
    t.is(predict.length, 1);
    assertSpan(t, predict[0], {
      name: `${A.SPAN_GRADIO_PREDICT} /echo`, status: SpanStatusCode.UNSET,
      attributes: { [A.ATTR_GRADIO_END_REASON]: A.EndReason.COMPLETED, [A.ATTR_GRADIO_API_NAME]: '/echo' },
    });
    for (const child of [A.SPAN_GRADIO_QUEUE, A.SPAN_GRADIO_PROCESS]) {
      const s = mem.getFinishedSpans().filter((x) => x.name === child);
      t.is(s.length, 1, child);
      t.is(s[0]!.parentSpanContext?.spanId, predict[0]!.spanContext().spanId);
    }
    t.is(data.found.attributes[A.ATTR_GRADIO_SSE_MESSAGES], 4);
    t.is(data.found.attributes[A.ATTR_GRADIO_SESSION], g.session('fixture0001'));
    t.deepEqual(data.found.events.map((e) => e.name), [A.EVENT_GRADIO_CLOSE_STREAM]);
    t.false(JSON.stringify(mem.getFinishedSpans().map((s) => s.attributes)).includes('fixture'), 'neither the text nor the raw session hash is recorded');
  });
}

test('property: however the recorded bytes are cut, the same prediction', async (t) => {
  await fc.assert(fc.asyncProperty(fc.constantFrom(...VERSIONS), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), async (version, cuts) => {
    const { mem } = await replay(version, cuts);
    const predict = mem.getFinishedSpans().filter((s) => s.name.startsWith(A.SPAN_GRADIO_PREDICT));
    return predict.length === 1 && predict[0]!.attributes[A.ATTR_GRADIO_END_REASON] === A.EndReason.COMPLETED;
  }), { numRuns: 30 });
  t.pass();
});
