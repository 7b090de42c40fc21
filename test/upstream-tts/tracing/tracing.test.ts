// Spans in a real Zipkin: the worker continues the caller's trace (W3C or B3) with
// tts.synthesize -> tts.phonemize, tts.inference per sentence, tts.encode; and through the
// proxy one trace holds proxy SERVER -> proxy CLIENT -> worker tts.synthesize -> tts.inference.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startProxy, type RunningProxy } from '../../support/proxy.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../../support/zipkin.js';
import { postJson, predictViaQueue, readSse, startWorker, type RunningWorker } from '../helpers.js';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
let worker: RunningWorker;
let proxy: RunningProxy;

test.before(async () => {
  const zipkin = await zipkinUrl();
  worker = await startWorker({ zipkinUrl: zipkin });
  proxy = await startProxy({ upstream: worker.url, zipkinUrl: zipkin });
});
test.after.always(async () => {
  await proxy?.stop();
  await worker?.stop();
});

const named = (spans: ZipkinSpan[], name: string): ZipkinSpan[] => spans.filter((s) => s.name === name);
const one = (spans: ZipkinSpan[], name: string): ZipkinSpan => {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`expected one ${name}, got ${JSON.stringify(spans.map((s) => s.name))}`);
  return found[0]!;
};

test('W3C traceparent on queue/join: tts.synthesize continues it, with its stages as children', async (t) => {
  const traceId = hex(16);
  const parent = hex(8);
  const { messages } = await predictViaQueue(worker.url, ['First sentence. Second sentence!', 1, 0, 0], { headers: { traceparent: `00-${traceId}-${parent}-01` } });
  t.like(messages.find((m) => m.msg === 'process_completed'), { success: true });
  const spans = await getTrace(traceId, { minSpans: 5 });
  const root = one(spans, 'tts.synthesize');
  t.is(root.parentId, parent);
  t.is(root.kind, 'SERVER');
  t.is(root.localEndpoint?.serviceName, 'upstream-tts');
  t.like(root.tags, {
    'gradio.api_name': '/synthesize', 'gradio.fn_index': '0', 'gradio.transport': 'queue',
    'tts.voice.name': 'en_US-joe-medium', 'tts.voice.sample_rate': '22050', 'tts.execution_provider': 'cpu',
    'tts.sentence.count': '2', 'audio.output.format': 'wav', 'tts.noise_scale': '0', 'tts.length_scale': '1',
  });
  t.regex(root.tags!['gradio.event_id']!, /^[0-9a-f]{32}$/);
  // No bound on the figure itself (a busy machine synthesizes slower than real time): it must be
  // what the stages say, inference time over audio time.
  const rtf = Number(root.tags!['tts.realtime_factor']);
  t.true(rtf > 0 && Number.isFinite(rtf), `real-time factor ${rtf}`);
  t.true(Number(root.tags!['audio.output.duration_s']) > 1);
  t.false('text' in root.tags!, 'the text itself is never exported');

  const phonemize = one(spans, 'tts.phonemize');
  const inference = named(spans, 'tts.inference').sort((a, b) => Number(a.tags!['tts.sentence.index']) - Number(b.tags!['tts.sentence.index']));
  const encode = one(spans, 'tts.encode');
  for (const child of [phonemize, ...inference, encode]) t.is(child.parentId, root.id);
  t.is(inference.length, 2);
  const inferenceS = inference.reduce((sum, s) => sum + (s.duration ?? 0), 0) / 1e6;
  const audioS = Number(root.tags!['audio.output.duration_s']);
  t.true(Math.abs(rtf - inferenceS / audioS) < 0.01, `real-time factor ${rtf} = inference ${inferenceS} s / audio ${audioS} s`);
  for (const [i, s] of inference.entries()) {
    t.is(s.tags!['tts.sentence.index'], String(i));
    t.true(Number(s.tags!['tts.phoneme.count']) > 5);
    t.true(Number(s.tags!['audio.output.duration_s']) > 0.3);
    t.true(Number(s.tags!['tts.realtime_factor']) > 0);
  }
  // Stages in order, inside their parent.
  t.true(phonemize.timestamp! <= inference[0]!.timestamp! && inference[1]!.timestamp! <= encode.timestamp!);
  t.true(encode.timestamp! + encode.duration! <= root.timestamp! + root.duration! + 1000);
  t.true(Number(encode.tags!['audio.output.bytes']) > 44);
});

test('B3 single header on call/: the trace continues too; a user error is tagged, not a server error', async (t) => {
  const traceId = hex(16);
  const parent = hex(8);
  const post = await postJson(`${worker.url}/gradio_api/call/synthesize`, { data: ['😀'] }, { b3: `${traceId}-${parent}-1` });
  await readSse(`${worker.url}/gradio_api/call/synthesize/${post.body.event_id}`);
  const spans = await getTrace(traceId, { minSpans: 1 });
  const root = one(spans, 'tts.synthesize');
  t.is(root.parentId, parent);
  t.is(root.tags!['gradio.transport'], 'call');
  t.is(root.tags!['error.type'], 'text_emoji');
  t.false('error' in root.tags!, 'a refused input is not a server error');
  t.is(named(spans, 'tts.inference').length, 0);
});

test('one trace through the proxy: SERVER -> CLIENT -> worker tts.synthesize -> tts.inference', async (t) => {
  const traceId = hex(16);
  const { messages } = await predictViaQueue(proxy.url, ['Traced through the proxy.', 1, 0.667, 0.8], { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
  t.like(messages.find((m) => m.msg === 'process_completed'), { success: true });
  const spans = await getTrace(traceId, { minSpans: 6 });
  const synth = one(spans, 'tts.synthesize');
  const client = spans.find((s) => s.id === synth.parentId);
  t.truthy(client, `parent of tts.synthesize in the trace: ${JSON.stringify(spans.map((s) => [s.name, s.kind, s.localEndpoint?.serviceName]))}`);
  t.is(client!.kind, 'CLIENT');
  t.is(client!.localEndpoint?.serviceName, 'tts-trace-proxy-test');
  const server = spans.find((s) => s.id === client!.parentId)!;
  t.is(server.kind, 'SERVER');
  t.is(server.localEndpoint?.serviceName, 'tts-trace-proxy-test');
  t.regex(server.tags?.['http.route'] ?? '', /queue\/join/);
  const inference = named(spans, 'tts.inference');
  t.true(inference.length >= 1);
  t.true(inference.every((s) => s.parentId === synth.id && s.traceId === traceId));
});
