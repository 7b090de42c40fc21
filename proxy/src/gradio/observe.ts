// Routes each request to the Gradio parser for its route family (design §3) and turns what the
// parsers see into prediction spans and attributes. Bytes are observed, never held.
import type { IncomingMessage } from 'node:http';
import { EventIdAnswer } from './event-id.js';
import { PROBE_HEAD_BYTES, probeAudio } from '../audio/probe.js';
import * as A from '../spans/attributes.js';
import type { GradioContext } from './context.js';
import {
  CONFIG_LIMITS, captureProblems, complete, describeLateInputs, isObj, parseError, register, requestJson, responseJson, startPrediction, startPredictionLater, startPredictionNow, statusErrorType,
  type Exchange, type Submission,
} from './exchange.js';
import { guard, guardedAsync, Site } from '../guard.js';
import { apiNameFromSegment } from './names.js';
import { audioAttributes } from './inputs.js';
import type { ObservedRequest, Observer } from '../observer.js';
import { now, Prediction, whenReady } from './prediction.js';
import type { CaptureResult } from './json-capture.js';
import { applyQueueMessage, callStreamObserver, queueDataObserver } from './queue.js';
import { UploadParser } from './upload.js';
import { websocketQueueObserver } from './websocket.js';

// ---- route families ---------------------------------------------------------------------------

function schemaObserver(x: Exchange, kind: 'config' | 'info'): Observer {
  const body = responseJson(CONFIG_LIMITS);
  let ok = false;
  return {
    onResponse(res) { ok = res.statusCode === 200; body.start(res); },
    onResponseChunk: (c) => body.feed(c),
    onResponseEnd: () => body.end(),
    onClose: () => body.end(),
    settled: async () => {
      if (!ok) return;
      const r = await body.result;
      if (r.invalid) return parseError(x, 'invalid_json');
      if (r.tooDeep) parseError(x, 'too_deep');
      if (kind === 'config') x.app.schemas.setConfig(r.value);
      else x.app.schemas.setInfo(r.value);
      const s = x.app.schemas.get();
      if (kind === 'config' && s) {
        x.state.found.set({ [A.ATTR_GRADIO_VERSION]: s.version ?? 'unknown', [A.ATTR_GRADIO_PROTOCOL]: s.protocol });
      }
    },
  };
}

function uploadObserver(x: Exchange): Observer {
  const parser = new UploadParser(x.req.headers);
  const body = responseJson();
  let status = 0;
  return {
    onRequestChunk: (c) => parser.feed(c),
    onRequestEnd: () => parser.end(),
    onResponse(res) { status = res.statusCode ?? 0; body.start(res); },
    onResponseChunk: (c) => body.feed(c),
    onResponseEnd: () => body.end(),
    // Not only when the client left: an app may answer before the form is whole.
    onClose: () => { parser.end(); body.end(); },
    settled: async () => {
      const [{ parts, error }, paths] = await Promise.all([parser.result, body.result]);
      if (error) parseError(x, error);
      x.state.found.set({ [A.ATTR_GRADIO_UPLOAD_FILES]: parts.length });
      if (status !== 200 || !Array.isArray(paths.value)) return;
      paths.value.forEach((path, i) => {
        const meta = parts[i]?.meta;
        if (typeof path === 'string' && meta) x.g.files.set(path, meta);
      });
      const first = parts.find((p) => p.meta)?.meta;
      if (first) x.state.found.set(audioAttributes('audio.input', first));
    },
  };
}

/** POST queue/join (4.9+), POST call/<api>, POST call/v2/<api>: submission → event_id. */
function submitObserver(x: Exchange, transport: 'queue' | 'call' | 'call_v2'): Observer {
  const reqBody = requestJson();
  const resBody = new EventIdAnswer();
  let status = 0;
  let encoded = false;
  let submitted: Promise<Prediction | undefined> | undefined;
  /** The prediction, when it started in the turn the answer ended (the usual join). */
  let made: Prediction | undefined;
  const apiFromPath = transport === 'queue' ? undefined : apiNameFromSegment(/\/call\/(?:v2\/)?([^/?]+)/.exec(x.req.url ?? '')?.[1]);

  // The prediction's span, started in this turn when nothing needs waiting for (the usual join:
  // its body has ended, the schema is known), else a promise of it.
  const start = (rq: CaptureResult, eventId: string | undefined): Prediction | Promise<Prediction> => {
    const problem = captureProblems(x, rq);
    const body = isObj(rq.value) ? rq.value : {};
    const sub: Submission = {
      apiName: apiFromPath,
      fnIndex: typeof body.fn_index === 'number' ? body.fn_index : undefined,
      data: transport === 'call_v2' ? rq.value : body.data,
      sessionHash: typeof body.session_hash === 'string' ? body.session_hash : undefined,
      eventId,
      queued: transport === 'queue',
      transport,
    };
    const ready = (p: Prediction) => {
      if (problem) p.set({ [A.ATTR_GRADIO_PARSE_ERROR]: problem });
      // An event id in a 200 is the app's word that the work is queued.
      if (status === 200 && eventId !== undefined) p.enqueued();
      return p;
    };
    const made = startPredictionNow(x, sub);
    return made ? ready(made) : startPredictionLater(x, sub).then(ready);
  };

  return {
    onRequestChunk: (c) => reqBody.feed(c),
    onRequestEnd: () => reqBody.end(),
    onResponse(res) {
      status = res.statusCode ?? 0;
      encoded = !!res.headers['content-encoding'] && res.headers['content-encoding'] !== 'identity';
    },
    onResponseChunk: (c) => resBody.feed(c),
    onResponseEnd() {
      const eventId = encoded ? undefined : resBody.eventId();
      const rq = reqBody.settled;
      if (rq) {
        const started = guard(Site.PREDICTION, () => start(rq, eventId));
        if (started instanceof Prediction) made = started;
        // Nobody awaits this until the request is over (pipelined, that can be long): guarded. A
        // prediction made in this turn needs no promise (settled and register take it as it is).
        if (!made) submitted = started ? guardedAsync(Site.PREDICTION, () => started) : Promise.resolve(undefined);
      } else {
        submitted = guardedAsync(Site.PREDICTION, async () => start(await reqBody.result, eventId));
      }
      if (status === 200 && eventId) {
        // Registered now, synchronously: the event's messages may already be on their way.
        register(x, eventId, sessionOf(reqBody), submitted, (p, m, at) => applyQueueMessage(x, p, m, at), made);
      }
    },
    onClose: () => reqBody.end(),
    // A prediction started in the answer's turn is judged now, without a promise (issue 10).
    settled: () => (made ? judge(made) : submitted?.then(judge)),
  };

  // A submission the app did not queue (no 200 with an event id) is a failed prediction.
  function judge(p: Prediction | undefined): Promise<void> | undefined {
    if (!p || (status === 200 && p.eventId !== undefined)) return undefined;
    const errorType = statusErrorType(status, transport !== 'queue');
    if (status >= 500 || status === 422 || status === 400) x.state.found.errorType ??= errorType;
    return p.finish(A.EndReason.FAILED, errorType);
  }
}

/**
 * The session_hash, when the request body has been read by the time the response ends (it
 * always has for a normal exchange: the app answers after reading the body).
 */
function sessionOf(body: { partial(): unknown }): string | undefined {
  const v = body.partial();
  return v && typeof v === 'object' && typeof (v as { session_hash?: unknown }).session_hash === 'string' ? (v as { session_hash: string }).session_hash : undefined;
}

/** POST run/<api> and api/<api> (direct, non-queued; 3.x legacy predict): one request = one prediction. */
function directObserver(x: Exchange): Observer {
  const reqBody = requestJson();
  const resBody = responseJson();
  let status = 0;
  const segment = /\/(?:run|api)\/([^/?]+)/.exec(x.req.url ?? '')?.[1];
  // The answer's last byte is the prediction's end: it lies within the request that carried it,
  // however late the parse that reads it runs (it failed on a loaded machine).
  let endedAt: number | undefined;
  return {
    onRequestChunk: (c) => reqBody.feed(c),
    onRequestEnd: () => reqBody.end(),
    onResponse(res) { status = res.statusCode ?? 0; resBody.start(res); },
    onResponseChunk: (c) => resBody.feed(c),
    onResponseEnd: () => { endedAt = now(); resBody.end(); },
    onClose: () => { endedAt ??= now(); reqBody.end(); resBody.end(); },
    settled: async () => {
      const endAt = endedAt ?? now();
      const [rq, rs] = await Promise.all([reqBody.result, resBody.result]);
      // The span survives what could not be read, and says so.
      const problem = captureProblems(x, rq) ?? (status === 200 ? captureProblems(x, rs) : undefined);
      const body = isObj(rq.value) ? rq.value : {};
      // `/run/predict` with fn_index is how the UI calls queue=False functions: the name is generic.
      const fnIndex = typeof body.fn_index === 'number' ? body.fn_index : undefined;
      const api = segment && !(segment === 'predict' && fnIndex !== undefined) ? apiNameFromSegment(segment) : undefined;
      const p = await startPrediction(x, {
        apiName: api, fnIndex, data: body.data,
        sessionHash: typeof body.session_hash === 'string' ? body.session_hash : undefined,
        queued: false, transport: 'direct',
      });
      if (problem) p.set({ [A.ATTR_GRADIO_PARSE_ERROR]: problem });
      const out = isObj(rs.value) ? rs.value : undefined;
      const ok = status === 200 && !!out && !('error' in out);
      if (status === 0) return void p.finish(A.EndReason.CANCELLED, undefined, undefined, endAt);
      complete(x, p, ok, out, status === 200 || status === 500 ? A.ErrorType.APP_ERROR : statusErrorType(status, api !== undefined), endAt);
    },
  };
}

/** 4.0–4.8 "sse": GET queue/join is itself the prediction's event stream. */
function legacySseJoinObserver(x: Exchange): Observer {
  // The stream is opened as GET queue/join?fn_index=…&session_hash=…; the inputs follow on POST queue/data.
  const q = new URLSearchParams((x.req.url ?? '').split('?')[1] ?? '');
  const fn = Number(q.get('fn_index'));
  const ready = guardedAsync(Site.PREDICTION, () => startPrediction(x, {
    queued: true, transport: 'sse_v0',
    fnIndex: q.get('fn_index') !== null && Number.isInteger(fn) ? fn : undefined,
    sessionHash: q.get('session_hash') ?? undefined,
  }));
  let registered = false;
  return queueDataObserver(x, {
    route: (msg) => {
      if (msg.msg === 'send_data' && typeof msg.event_id === 'string' && !registered) {
        // The inputs arrive later on POST queue/data, which finds the prediction by this id.
        registered = true;
        register(x, msg.event_id, undefined, ready, (p, m, at) => applyQueueMessage(x, p, m, at));
      }
      return ready;
    },
    onAbort: () => whenReady(ready, (p) => p.finish(A.EndReason.CANCELLED)),
  });
}

/** 4.0–4.8 POST queue/data: the inputs of an event announced on its join stream. */
function legacyDataPostObserver(x: Exchange): Observer {
  const reqBody = requestJson();
  return {
    onRequestChunk: (c) => reqBody.feed(c),
    onRequestEnd: () => reqBody.end(),
    onClose: () => reqBody.end(),
    settled: async () => {
      const rq = await reqBody.result;
      const body = isObj(rq.value) ? rq.value : {};
      const h = typeof body.event_id === 'string' ? x.g.predictions.get(body.event_id) : undefined;
      if (!h) return;
      const p = await h.ready;
      if (!p) return;
      await describeLateInputs(x, p, typeof body.fn_index === 'number' ? body.fn_index : undefined, body.data);
    },
  };
}

/**
 * GET stream/<session>/<run>/<component> (3.x/4.x streaming output): raw audio chunks that
 * Gradio hands out once, so the proxy cannot probe them itself; when a client downloads them,
 * their header and byte count give the output audio facts on this request's span.
 */
function rawStreamObserver(x: Exchange): Observer {
  const head: Buffer[] = [];
  let kept = 0;
  let bytes = 0;
  let ok = false;
  return {
    onResponse(res) { ok = res.statusCode === 200; },
    onResponseChunk(c) {
      bytes += c.length;
      if (kept < PROBE_HEAD_BYTES) { head.push(c.subarray(0, PROBE_HEAD_BYTES - kept)); kept += Math.min(c.length, PROBE_HEAD_BYTES - kept); }
    },
    settled: async () => {
      if (!ok || !bytes) return;
      const meta = await probeAudio(Buffer.concat(head), bytes);
      if (meta) x.state.found.set(audioAttributes('audio.output', meta));
    },
  };
}

function exchangeOf(g: GradioContext, state: ObservedRequest, req: IncomingMessage, startedAt: number): Exchange {
  const family = state.route.startsWith('/gradio_api/') ? state.route.slice('/gradio_api'.length) : state.route;
  return { g, state, req, family, startedAt, app: g.app(state.upstream!) };
}

/**
 * A websocket handshake's observer: the client's frames come as request chunks, the app's as
 * response chunks, from the 101 on. Only Gradio 3.x's queue runs over a websocket.
 */
export function observeWebsocket(g: GradioContext, state: ObservedRequest, req: IncomingMessage, startedAt: number): Observer | undefined {
  const x = exchangeOf(g, state, req, startedAt);
  return x.family === '/queue/join' && state.method === 'GET' ? websocketQueueObserver(x) : undefined;
}

export function observe(g: GradioContext, state: ObservedRequest, req: IncomingMessage, startedAt: number): Observer | undefined {
  const x = exchangeOf(g, state, req, startedAt);
  const family = x.family;
  const method = state.method;
  switch (family) {
    case '/config': return method === 'GET' ? schemaObserver(x, 'config') : undefined;
    case '/info': return method === 'GET' ? schemaObserver(x, 'info') : undefined;
    case '/upload': return method === 'POST' ? uploadObserver(x) : undefined;
    case '/queue/join': return method === 'POST' ? submitObserver(x, 'queue') : method === 'GET' ? legacySseJoinObserver(x) : undefined;
    case '/queue/data': return method === 'GET' ? queueDataObserver(x, {
      route: (msg) => (typeof msg.event_id === 'string' ? g.predictions.get(msg.event_id)?.ready : undefined),
      early: true,
    }) : method === 'POST' ? legacyDataPostObserver(x) : undefined;
    case '/call/{api_name}': return method === 'POST' ? submitObserver(x, 'call') : undefined;
    case '/call/v2/{api_name}': return method === 'POST' ? submitObserver(x, 'call_v2') : undefined;
    case '/call/{api_name}/{event_id}':
    case '/call/v2/{api_name}/{event_id}': return method === 'GET' ? callStreamObserver(x) : undefined;
    case '/stream/{session_hash}/{run}/{component_id}': return method === 'GET' ? rawStreamObserver(x) : undefined;
    case '/run/{api_name}':
    case '/api/{api_name}': return method === 'POST' ? directObserver(x) : undefined;
    default: return undefined;
  }
}

