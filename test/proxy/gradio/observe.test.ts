// Every route family's observer settles once its exchange is over, whatever part of the exchange
// never arrived: the lifecycle holds the request (its spans, its gauge, its table entries) until
// `settled` resolves. Found by the fuzzer: an upload whose app answered before the form was whole
// stayed in flight until the lifecycle's 5 s backstop, on every such request.
import test from 'ava';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { buildGradioContext } from '../../../proxy/src/gradio/context.js';
import { observe } from '../../../proxy/src/gradio/observe.js';
import { newState } from '../../../proxy/src/request-state.js';
import { guardObserver } from '../../../proxy/src/observer.js';

interface Family {
  readonly method: string;
  readonly route: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** The first bytes of a plausible request body, never its end. */
  readonly requestStart?: string;
  readonly responseType: string;
  readonly responseStart: string;
}

const JSON_RES = 'application/json';
const SSE = 'text/event-stream';
const FAMILIES: readonly Family[] = [
  { method: 'GET', route: '/config', url: '/config', responseType: JSON_RES, responseStart: '{"version":"4.44.1","components":[' },
  { method: 'GET', route: '/gradio_api/info', url: '/gradio_api/info', responseType: JSON_RES, responseStart: '{"named_endpoints":{' },
  {
    method: 'POST', route: '/gradio_api/upload', url: '/gradio_api/upload?upload_id=u1',
    headers: { 'content-type': 'multipart/form-data; boundary=b0undary' },
    requestStart: '--b0undary\r\nContent-Disposition: form-data; name="files"; filename="v.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF\x24\x00\x00\x00WAVEfmt ',
    responseType: JSON_RES, responseStart: '["/tmp/gradio/',
  },
  { method: 'POST', route: '/gradio_api/queue/join', url: '/gradio_api/queue/join', requestStart: '{"data":["hello', responseType: JSON_RES, responseStart: '{"event_id":"' },
  { method: 'GET', route: '/gradio_api/queue/join', url: '/gradio_api/queue/join?fn_index=0&session_hash=s1', responseType: SSE, responseStart: 'data: {"msg":"send_data","event_id":"e1"}\n\ndata: {"msg":"est' },
  { method: 'GET', route: '/gradio_api/queue/data', url: '/gradio_api/queue/data?session_hash=s1', responseType: SSE, responseStart: 'data: {"msg":"estimation","event_id":"e1"}\n\ndata: {"msg":"pro' },
  { method: 'POST', route: '/gradio_api/queue/data', url: '/gradio_api/queue/data', requestStart: '{"data":["hello"],"event_id":"e1', responseType: JSON_RES, responseStart: '{' },
  { method: 'POST', route: '/gradio_api/call/{api_name}', url: '/gradio_api/call/synthesize', requestStart: '{"data":["hel', responseType: JSON_RES, responseStart: '{"event_id":"ab' },
  { method: 'POST', route: '/gradio_api/call/v2/{api_name}', url: '/gradio_api/call/v2/synthesize', requestStart: '{"data":["hel', responseType: JSON_RES, responseStart: '{"event_id":"ab' },
  { method: 'GET', route: '/gradio_api/call/{api_name}/{event_id}', url: '/gradio_api/call/synthesize/e1', responseType: SSE, responseStart: 'event: generating\ndata: [' },
  { method: 'GET', route: '/gradio_api/stream/{session_hash}/{run}/{component_id}', url: '/gradio_api/stream/s1/0/3', responseType: 'audio/wav', responseStart: 'RIFF\x24\x00\x00\x00WAVE' },
  { method: 'POST', route: '/gradio_api/run/{api_name}', url: '/gradio_api/run/predict', requestStart: '{"data":["hel', responseType: JSON_RES, responseStart: '{"data":[' },
  { method: 'POST', route: '/api/{api_name}', url: '/api/predict', requestStart: '{"data":["hel', responseType: JSON_RES, responseStart: '{"data":[' },
];

const noCounters = { parseError: () => undefined, evicted: () => undefined };
const context = () => buildGradioContext(trace.getTracer('observe-test'), {
  probeOutputs: true, predictionTtlMs: 60_000, maxPredictions: 100, maxFiles: 100, fileTtlMs: 60_000, maxAudioS: 600, maxTextChars: 10_000,
}, noCounters);

/** What the exchange got to before it closed. */
type Stage = 'request-started' | 'response-started' | 'response-cut';

function exchange(f: Family, stage: Stage, aborted: boolean) {
  const req = { method: f.method, url: f.url, headers: { host: 'app.test', ...f.headers } } as unknown as IncomingMessage;
  const state = newState(f.route, f.url, f.method, ROOT_CONTEXT);
  state.upstream = new URL('http://127.0.0.1:7860');
  const obs = observe(context(), state, req, state.startedAt);
  if (!obs) return undefined;
  const o = guardObserver(obs);
  if (f.requestStart) o.onRequestChunk?.(Buffer.from(f.requestStart, 'latin1'));
  if (stage !== 'request-started') {
    o.onResponse?.({ statusCode: 200, headers: { 'content-type': f.responseType } } as unknown as IncomingMessage);
    if (stage === 'response-cut') o.onResponseChunk?.(Buffer.from(f.responseStart, 'latin1'));
  }
  o.onClose?.(aborted);
  return o;
}

const pending = Symbol('pending');
// Generous on a busy machine; without the fix these never resolve at all.
const within = <T>(p: Promise<T>, ms = 3000) => Promise.race([p, new Promise<typeof pending>((r) => setTimeout(() => r(pending), ms))]);

for (const f of FAMILIES) {
  for (const stage of ['request-started', 'response-started', 'response-cut'] as const) {
    for (const aborted of [false, true]) {
      test(`${f.method} ${f.route}: closed at ${stage}${aborted ? ', client gone' : ''}: settles`, async (t) => {
        const o = exchange(f, stage, aborted);
        t.truthy(o, 'the route family has an observer');
        t.not(await within(o!.settled?.() ?? Promise.resolve()), pending);
      });
    }
  }
}
