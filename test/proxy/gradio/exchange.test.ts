// What one submission becomes (exchange.ts), with a real SDK tracer writing to memory and the
// schema Gradio 4.44.1 served (test/fixtures/gradio): the gradio.predict span's attributes and
// parent, the error.type of a refused submission, and the order early messages are replayed in.
import test from 'ava';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { buildGradioContext } from '../../../proxy/src/gradio/context.js';
import { register, startPrediction, startPredictionNow, statusErrorType, type Exchange, type Submission } from '../../../proxy/src/gradio/exchange.js';
import type { Captured } from '../../../proxy/src/gradio/json-capture.js';
import { OTHER } from '../../../proxy/src/gradio/names.js';
import { newState } from '../../../proxy/src/request-state.js';
import * as A from '../../../proxy/src/spans/attributes.js';
import { assertSpan } from '../../support/assert-span.js';
import { repoRoot } from '../../support/proc.js';
import { until } from '../../support/until.js';

const noCounters = { parseError: () => undefined, evicted: () => undefined };

function setup() {
  const mem = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }).getTracer('exchange-test');
  const g = buildGradioContext(tracer, {
    sessionKey: 'k', probeOutputs: false, predictionTtlMs: 60_000, maxPredictions: 100, maxFiles: 100, fileTtlMs: 60_000, maxAudioS: 600, maxTextChars: 10_000,
  }, noCounters);
  const upstream = new URL('http://127.0.0.1:9');
  const app = g.app(upstream);
  app.schemas.setConfig(JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/gradio/4.44.1/config.json'), 'utf8')) as Captured);
  app.schemas.setInfo({ named_endpoints: { '/echo': { parameters: [{ parameter_name: 'text' }] } } } as unknown as Captured);
  // Known schema: nothing is fetched from the (absent) app.
  app.fetch.last = Date.now();
  const state = newState('/gradio_api/queue/join', '/gradio_api/queue/join', 'POST', ROOT_CONTEXT);
  state.upstream = upstream;
  state.arm = 'canary';
  state.armVersion = 'v2';
  state.replica = 'canary-0';
  const server = tracer.startSpan('POST /gradio_api/queue/join', { kind: SpanKind.SERVER });
  state.serverSpan = server;
  state.serverContext = trace.setSpan(ROOT_CONTEXT, server);
  const req = { method: 'POST', url: '/gradio_api/queue/join', headers: {} } as unknown as IncomingMessage;
  const x: Exchange = { g, state, req, family: '/queue/join', startedAt: state.startedAt, app };
  return { x, g, mem, server };
}

test('a submission by fn_index: the schema\'s api name, the arm, the session as an HMAC, a child of the SERVER span', async (t) => {
  const { x, mem, server } = setup();
  const p = await startPrediction(x, { fnIndex: 0, data: ['hello'], sessionHash: 'raw-session-hash', eventId: 'ev\u202e1', queued: true, transport: 'sse_v3' });
  await p.finish(A.EndReason.COMPLETED);
  const span = mem.getFinishedSpans().find((s) => s.name === 'gradio.predict /echo');
  assertSpan(t, span, { attributes: {
    [A.ATTR_GRADIO_API_NAME]: '/echo', [A.ATTR_GRADIO_FN_INDEX]: 0, [A.ATTR_GRADIO_TRANSPORT]: 'sse_v3',
    [A.ATTR_GRADIO_VERSION]: '4.44.1', [A.ATTR_GRADIO_PROTOCOL]: 'sse_v3', [A.ATTR_TTS_UPSTREAM_ARM]: 'canary', [A.ATTR_DEPLOYMENT_VERSION]: 'v2', [A.ATTR_TTS_UPSTREAM_REPLICA]: 'canary-0',
    [A.ATTR_GRADIO_SESSION]: x.g.session('raw-session-hash'),
  } });
  t.is(span!.parentSpanContext?.spanId, server.spanContext().spanId);
  t.false(JSON.stringify(span!.attributes).includes('raw-session-hash'), 'never the raw session hash');
  t.false(String(span!.attributes[A.ATTR_GRADIO_EVENT_ID]).includes('\u202e'), 'the event id is cleaned');
});

test('a client\'s api name the schema does not know is `other`, never the client\'s string', async (t) => {
  const { x, mem } = setup();
  const p = await startPrediction(x, { apiName: '/made-up<script>', data: ['x'], queued: false, transport: 'call' });
  await p.finish(A.EndReason.COMPLETED);
  const span = mem.getFinishedSpans().find((s) => s.name.startsWith(A.SPAN_GRADIO_PREDICT))!;
  t.is(span.name, A.SPAN_GRADIO_PREDICT, 'no name of its own');
  t.is(span.attributes[A.ATTR_GRADIO_API_NAME], OTHER);
  t.false(JSON.stringify(span.attributes).includes('made-up'));
});

test('a refused submission\'s error.type follows the status, and a 404 names the api only where the path does', (t) => {
  t.is(statusErrorType(503), A.ErrorType.QUEUE_FULL);
  t.is(statusErrorType(422), A.ErrorType.VALIDATION_ERROR);
  t.is(statusErrorType(400), A.ErrorType.VALIDATION_ERROR);
  t.is(statusErrorType(404), A.ErrorType.SESSION_NOT_FOUND);
  t.is(statusErrorType(404, true), A.ErrorType.API_NOT_FOUND);
  t.is(statusErrorType(500), '500');
});

test('messages that arrived before their prediction existed are replayed to it in order; a submission that never became one leaves no entry', async (t) => {
  const { x, g } = setup();
  g.early.set('e1', { messages: [{ msg: { msg: 'estimation', rank: 0 }, at: 1 }, { msg: { msg: 'process_starts' }, at: 2 }] });
  const replayed: string[] = [];
  const p = await startPrediction(x, { fnIndex: 0, data: ['x'], eventId: 'e1', queued: true, transport: 'sse_v3' });
  register(x, 'e1', undefined, Promise.resolve(p), (_p, msg, at) => { replayed.push(`${String(msg.msg)}@${at}`); });
  await until(() => replayed.length === 2);
  t.deepEqual(replayed, ['estimation@1', 'process_starts@2']);
  t.truthy(g.predictions.get('e1'));
  register(x, 'e2', undefined, Promise.resolve(undefined), () => t.fail('nothing to replay to'));
  await until(() => g.predictions.get('e2') === undefined);
  t.pass();
});

// A known schema and inputs that need no probe: the prediction exists in the turn its join's
// answer passed (no promise chain per join, issue 10), with the same span the later path makes.
test('with the schema known, a prediction starts at once; its span is the one the asynchronous start makes', async (t) => {
  const { x, mem } = setup();
  const sub: Submission = { fnIndex: 0, data: ['hello'], sessionHash: 'raw-session-hash', eventId: 'e9', queued: true, transport: 'sse_v3' };
  const now = startPredictionNow(x, sub);
  t.truthy(now, 'no wait needed');
  const later = await startPrediction(x, sub);
  await now!.finish(A.EndReason.COMPLETED, undefined, undefined, x.startedAt + 20);
  await later.finish(A.EndReason.COMPLETED, undefined, undefined, x.startedAt + 20);
  const [a, b] = mem.getFinishedSpans().filter((s) => s.name.startsWith(A.SPAN_GRADIO_PREDICT));
  t.deepEqual({ ...a!.attributes }, { ...b!.attributes });
  t.is(a!.name, b!.name);
  t.is(a!.parentSpanContext?.spanId, b!.parentSpanContext?.spanId);
});

test('a prediction waits for a schema being fetched, and for inline audio to be probed', (t) => {
  const { x } = setup();
  const wav = `data:audio/wav;base64,${Buffer.from('RIFF').toString('base64')}`;
  t.is(startPredictionNow(x, { fnIndex: 0, data: [{ data: wav }], queued: true, transport: 'sse_v3' }), undefined, 'inline audio');
  t.truthy(startPredictionNow(x, { fnIndex: 0, data: ['x'], queued: true, transport: 'sse_v3' }), 'the control: nothing to wait for');
  // Another replica, whose schema has not passed by and is being fetched.
  const app = x.g.app(new URL('http://127.0.0.1:10'));
  app.fetch.inflight = new Promise(() => undefined);
  t.is(startPredictionNow({ ...x, app }, { fnIndex: 0, data: ['x'], queued: true, transport: 'sse_v3' }), undefined, 'schema coming');
});

test('a prediction registered with its span replays early messages in the same turn', async (t) => {
  const { x, g } = setup();
  g.early.set('e3', { messages: [{ msg: { msg: 'estimation', rank: 0 }, at: 1 }] });
  const p = startPredictionNow(x, { fnIndex: 0, data: ['x'], eventId: 'e3', queued: true, transport: 'sse_v3' })!;
  const replayed: string[] = [];
  const h = register(x, 'e3', undefined, Promise.resolve(p), (_p, msg) => { replayed.push(String(msg.msg)); }, p);
  t.deepEqual(replayed, ['estimation']);
  t.is(h.prediction, p);
  t.is(await h.ready, p);
});
