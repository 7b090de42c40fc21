// Event streams: the session's `queue/data` SSE (4.9+; one stream multiplexes every event of a
// session by event_id), the 4.0–4.8 join stream, and `/call/<api>/<event_id>` (named events).
import * as A from '../spans/attributes.js';
import type { Observer } from '../observer.js';
import { complete, isObj, parseError, type Exchange } from './exchange.js';
import { onPrediction } from './context.js';
import { now, type Prediction } from './prediction.js';
import { guardedAsync, guardedTimeout, Site } from '../guard.js';
import { cleanName } from './names.js';
import { SseTokenizer } from './sse.js';
import type { Captured } from './json-capture.js';

type Msg = { [k: string]: Captured };

const num = (v: Captured | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const KNOWN = new Set(['estimation', 'process_starts', 'progress', 'log', 'process_generating', 'process_streaming', 'process_completed',
  'heartbeat', 'close_stream', 'unexpected_error', 'send_hash', 'send_data', 'queue_full']);

function parseJson(data: string): Captured | undefined {
  try {
    return JSON.parse(data) as Captured;
  } catch {
    return undefined;
  }
}

const isSessionNotFound = (m: Msg): boolean =>
  m.session_not_found === true || (typeof m.message === 'string' && /session not found/i.test(m.message));

/** Applies one queue message to its prediction. Unknown messages and fields are ignored (§8.10). */
/** How long a prediction whose stream the client closed may reappear on another before it counts as cancelled. */
export const REOPEN_GRACE_MS = 2000;

export function applyQueueMessage(x: Exchange, p: Prediction, m: Msg, at = now()): void {
  p.lastMessageAt = at;
  // Any message of the event but a refusal says the app queued it (4.0-4.8 announce no event id
  // before send_data, so the message is the first sign).
  if (m.msg !== 'queue_full' && m.msg !== 'unexpected_error') p.enqueued();
  switch (m.msg) {
    case 'estimation':
      p.estimation(num(m.rank), num(m.queue_size), num(m.rank_eta), at);
      return;
    case 'process_starts':
      p.processStarts(at);
      return;
    case 'log':
      p.log(typeof m.level === 'string' ? cleanName(m.level).slice(0, 16) : 'info', at);
      return;
    case 'process_generating':
    case 'process_streaming':
      p.chunk(at);
      return;
    case 'process_completed':
      complete(x, p, m.success !== false, m.output, undefined, at);
      return;
    case 'queue_full':
      void p.finish(A.EndReason.FAILED, A.ErrorType.QUEUE_FULL, undefined, at);
      return;
    case 'unexpected_error': {
      const type = isSessionNotFound(m) ? A.ErrorType.SESSION_NOT_FOUND : A.ErrorType.UNEXPECTED_ERROR;
      p.event(A.EVENT_GRADIO_UNEXPECTED_ERROR, { [A.ATTR_ERROR_TYPE]: type }, at);
      void p.finish(A.EndReason.FAILED, type, undefined, at);
      return;
    }
    default:
      return;
  }
}

type StepSite = typeof Site.STREAM_MESSAGE | typeof Site.CLOSE;

/** `fn` after `chain`, guarded: a failing step is counted and the next one still runs; never rejects. */
export function nextStep(chain: Promise<void>, site: StepSite, fn: () => unknown): Promise<void> {
  return chain.then(() => guardedAsync(site, fn)).then(() => undefined);
}

export interface StreamRouting {
  /** The prediction a message belongs to, if known (its span may still be in the making). */
  route(msg: Msg): Promise<Prediction | undefined> | undefined;
  /** Keep messages of unknown events for a while: their submission may not have passed yet. */
  early?: boolean;
  onAbort?(): void;
}

export function queueDataObserver(x: Exchange, routing: StreamRouting): Observer {
  const sse = new SseTokenizer();
  const session = new URLSearchParams((x.req.url ?? '').split('?')[1] ?? '').get('session_hash') ?? undefined;
  if (session) x.state.found.set({ [A.ATTR_GRADIO_SESSION]: x.g.session(session) });
  // Open from the request on, closed once (onClose comes once per exchange, whatever its end).
  let open = session !== undefined;
  if (session) x.g.streams.opened(session);
  let messages = 0;
  let sse200 = false;
  let unknown = 0;
  let chain: Promise<void> = Promise.resolve();

  // `at` is when the message passed, not when its turn in the chain came.
  const handle = async (data: string, at: number) => {
    const m = parseJson(data);
    if (!isObj(m)) {
      parseError(x, 'invalid_json');
      return;
    }
    messages++;
    if (typeof m.msg !== 'string' || !KNOWN.has(m.msg)) unknown++;
    if (m.msg === 'close_stream') x.state.found.event(A.EVENT_GRADIO_CLOSE_STREAM, at);
    if (m.msg === 'unexpected_error' && typeof m.event_id !== 'string') {
      // Session-level failure (e.g. this replica never saw the session): every open prediction
      // of the session fails with it, and so does this request.
      const type = isSessionNotFound(m) ? A.ErrorType.SESSION_NOT_FOUND : A.ErrorType.UNEXPECTED_ERROR;
      x.state.found.event(type === A.ErrorType.SESSION_NOT_FOUND ? A.EVENT_GRADIO_SESSION_NOT_FOUND : A.EVENT_GRADIO_UNEXPECTED_ERROR, at);
      x.state.found.errorType = type;
      const own = await routing.route(m);
      if (own && !own.isEnded) applyQueueMessage(x, own, m, at);
      if (session) for (const h of x.g.predictions.inGroup(session)) onPrediction(h, (p) => p.finish(A.EndReason.FAILED, type, undefined, at));
      return;
    }
    const target = routing.route(m);
    if (!target) {
      if (routing.early && typeof m.event_id === 'string') {
        // Stored once, at the event's first early message (its wait is counted from there); the
        // later ones join the same buffer without a table write per message.
        const buf = x.g.early.get(m.event_id);
        if (!buf) x.g.early.set(m.event_id, { messages: [{ msg: m, at }] });
        else if (buf.messages.length < 64) buf.messages.push({ msg: m, at });
      }
      return;
    }
    const p = await target;
    if (p && !p.isEnded) applyQueueMessage(x, p, m, at);
    if (m.msg === 'process_completed' && typeof m.event_id === 'string') x.g.predictions.delete(m.event_id);
  };

  // Keep message order even while the routing waits for its prediction.
  const enqueue = (site: StepSite, fn: () => unknown) => { chain = nextStep(chain, site, fn); };
  return {
    onResponse(res) { sse200 = res.statusCode === 200 && /text\/event-stream/.test(String(res.headers['content-type'] ?? '')); },
    onResponseChunk(c) {
      if (!sse200) return;
      const at = now();
      for (const e of sse.feed(c)) enqueue(Site.STREAM_MESSAGE, () => handle(e.data, at));
    },
    onResponseEnd() {
      if (!sse200) return;
      const at = now();
      for (const e of sse.end()) enqueue(Site.STREAM_MESSAGE, () => handle(e.data, at));
    },
    onClose(aborted) {
      if (open) {
        open = false;
        x.g.streams.closed(session!);
      }
      if (!aborted) return;
      const at = now();
      // The session's predictions as they stand at the close: one submitted after it is not
      // concerned, however late the step below runs behind the stream's earlier messages (found
      // beside stress-ng: the next event's join got in first, and it was cancelled).
      const handles = session ? [...x.g.predictions.inGroup(session)] : [];
      enqueue(Site.CLOSE, () => {
        // The client left: Gradio cancels the session's queued and running work (§5.2). But a
        // page may close one stream and open the next for the same session (two events back to
        // back, found under load): a prediction whose messages go on there was not cancelled.
        // So the verdict waits a moment, and stands only if nothing was heard of it since; the
        // span still ends when the stream did. The predictions are looked at once when the
        // grace is over: one timer per stream, not one per prediction.
        routing.onAbort?.();
        if (!handles.length) return;
        guardedTimeout(Site.CLOSE, () => {
          // The session has another stream open: the page moved on to it (Gradio 6 closes a
          // stream when no event it knows of is pending, and opens the next for a join already
          // through the proxy), and a loaded app can be silent for longer than the grace (found
          // beside stress-ng). That stream's own close judges what is still pending then.
          if (x.g.streams.count(session!) > 0) return;
          for (const h of handles) {
            // Ended and gone already (another stream's verdict, its completion): nothing to do.
            if (x.g.predictions.get(h.eventId) !== h) continue;
            onPrediction(h, (p) => {
              if ((p.lastMessageAt ?? -Infinity) > at) return;
              if (x.g.predictions.get(h.eventId) === h) x.g.predictions.delete(h.eventId);
              return p.finish(A.EndReason.CANCELLED, undefined, undefined, at);
            });
          }
        }, REOPEN_GRACE_MS);
      });
    },
    settled: async () => {
      await chain;
      x.state.found.set({ [A.ATTR_GRADIO_SSE_MESSAGES]: messages });
      if (sse.oversized) parseError(x, 'oversized_event');
      if (unknown) parseError(x, 'unknown_message');
    },
  };
}

/** GET call/<api>/<event_id>: `event: generating|complete|error|heartbeat` (§2.7). */
export function callStreamObserver(x: Exchange): Observer {
  const sse = new SseTokenizer();
  const eventId = /\/call\/(?:v2\/)?[^/]+\/([^/?]+)/.exec(x.req.url ?? '')?.[1];
  const handle0 = eventId ? x.g.predictions.get(eventId) : undefined;
  let ok = false;
  let done = false;
  let chain: Promise<void> = Promise.resolve();
  const handle = async (event: string, data: string) => {
    const p = await handle0?.ready;
    if (!p || p.isEnded) return;
    const at = now();
    if (event === 'generating') p.chunk(at);
    else if (event === 'complete') {
      done = true;
      complete(x, p, true, parseJson(data), undefined, at);
    } else if (event === 'error') {
      done = true;
      const payload = parseJson(data);
      // A string payload is Gradio's unexpected_error text; null or an object is the function's error.
      const type = typeof payload === 'string' ? (/session not found/i.test(payload) ? A.ErrorType.SESSION_NOT_FOUND : A.ErrorType.UNEXPECTED_ERROR) : A.ErrorType.APP_ERROR;
      void p.finish(A.EndReason.FAILED, type, undefined, at);
    }
  };
  const enqueue = (site: StepSite, fn: () => unknown) => { chain = nextStep(chain, site, fn); };
  return {
    onResponse(res) { ok = res.statusCode === 200; },
    onResponseChunk(c) { if (ok) for (const e of sse.feed(c)) enqueue(Site.STREAM_MESSAGE, () => handle(e.event, e.data)); },
    onResponseEnd() { if (ok) for (const e of sse.end()) enqueue(Site.STREAM_MESSAGE, () => handle(e.event, e.data)); },
    onClose(aborted) {
      enqueue(Site.CLOSE, async () => {
        const p = await handle0?.ready;
        if (aborted && p && !done && !p.isEnded) void p.finish(A.EndReason.CANCELLED);
        if (eventId && (done || aborted)) x.g.predictions.delete(eventId);
      });
    },
    settled: async () => {
      await chain;
      if (sse.oversized) parseError(x, 'oversized_event');
    },
  };
}
