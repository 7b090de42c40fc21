// A direct (queue=False) prediction ends with the answer's last byte, not when its parse gets its
// turn: the SERVER span ends at the close that follows, and a prediction ending after it broke the
// "every child inside its parent" rule on a loaded machine (issue 11, defect 3).
import test from 'ava';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { IncomingMessage } from 'node:http';
import { buildGradioContext } from '../../../proxy/src/gradio/context.js';
import { observe } from '../../../proxy/src/gradio/observe.js';
import { guardObserver } from '../../../proxy/src/observer.js';
import { newState } from '../../../proxy/src/request-state.js';
import * as A from '../../../proxy/src/spans/attributes.js';

test('a direct prediction ends when its answer ended, however late the close and the parse come', async (t) => {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('direct-test');
  const g = buildGradioContext(tracer, {
    probeOutputs: false, predictionTtlMs: 60_000, maxPredictions: 100, maxFiles: 100, fileTtlMs: 60_000, maxAudioS: 600, maxTextChars: 10_000,
  }, { parseError: () => undefined, evicted: () => undefined });
  const upstream = new URL('http://127.0.0.1:1');
  g.app(upstream).schemas.setConfig({ version: '6.0.0', protocol: 'sse_v3', api_prefix: '/gradio_api', components: [], dependencies: [{ id: 0, api_name: 'direct', inputs: [], outputs: [] }] });
  const url = '/gradio_api/run/direct';
  const req = { method: 'POST', url, headers: { host: 'app.test', 'content-type': 'application/json' } } as unknown as IncomingMessage;
  const state = newState('/gradio_api/run/{api_name}', url, 'POST', ROOT_CONTEXT);
  state.upstream = upstream;
  const o = guardObserver(observe(g, state, req, state.startedAt)!);
  o.onRequestChunk!(Buffer.from('{"data":["abc"]}'));
  o.onRequestEnd!();
  o.onResponse!({ statusCode: 200, headers: { 'content-type': 'application/json' } } as unknown as IncomingMessage);
  o.onResponseChunk!(Buffer.from('{"data":["ABC"],"duration":0.01}'));
  o.onResponseEnd!();
  const endedAt = performance.timeOrigin + performance.now();
  // A loaded machine: the close and the parse come well after the last byte.
  await new Promise((r) => setTimeout(r, 80));
  o.onClose!(false);
  await o.settled!();
  await new Promise((r) => setTimeout(r, 10));
  const predict = mem.getFinishedSpans().find((s) => s.name.startsWith(A.SPAN_GRADIO_PREDICT));
  t.is(predict?.attributes[A.ATTR_GRADIO_END_REASON], A.EndReason.COMPLETED);
  const end = hrTimeToMilliseconds(predict!.endTime);
  t.true(end <= endedAt + 1, `ended ${(end - endedAt).toFixed(1)} ms after the answer's last byte`);
});
