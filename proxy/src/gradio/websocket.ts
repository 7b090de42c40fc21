// Gradio 3.x's queue: one websocket per prediction on GET /queue/join (gradio-protocol: the
// server asks `send_hash`, the client answers with fn_index and session_hash, `estimation`s
// follow, `send_data` asks for the inputs when the event's turn comes, then `process_starts`,
// `process_generating` and `process_completed`). The same prediction spans as 4.x-6.x, child of
// the handshake's SERVER span, read from the frames as they pass in both directions: the
// client's bytes are this observer's "request", the app's its "response". Nothing here writes to
// either socket.
import type { Observer } from '../observer.js';
import * as A from '../spans/attributes.js';
import { guardedAsync, Site } from '../guard.js';
import type { Captured, JsonCapture } from './json-capture.js';
import { captureProblems, describeLateInputs, isObj, parseError, startPrediction, type Exchange } from './exchange.js';
import { type Prediction, whenReady } from './prediction.js';
import { applyQueueMessage, nextStep } from './queue.js';
import { MessageReader, negotiatedDeflate } from './ws-messages.js';

type Obj = { [k: string]: Captured };

export const TRANSPORT_WEBSOCKET = 'websocket';

export function websocketQueueObserver(x: Exchange): Observer {
  let fromClient: MessageReader | undefined;
  let fromApp: MessageReader | undefined;
  let ready: Promise<Prediction | undefined> | undefined;
  // Messages of both directions are handled in the order they passed, whatever their parsing costs.
  let chain: Promise<void> = Promise.resolve();
  const step = (fn: () => unknown) => { chain = nextStep(chain, Site.STREAM_MESSAGE, fn); };
  const problem = (kind: string) => parseError(x, kind);

  const fromClientMessage = (capture: JsonCapture) => step(async () => {
    const r = await capture.result;
    captureProblems(x, r);
    if (!isObj(r.value)) return;
    const m = r.value as Obj;
    // The answer to send_hash opens the prediction: the event joined the queue then.
    if (!ready && (typeof m.fn_index === 'number' || typeof m.session_hash === 'string')) {
      ready = guardedAsync(Site.PREDICTION, () => startPrediction(x, {
        fnIndex: typeof m.fn_index === 'number' ? m.fn_index : undefined,
        sessionHash: typeof m.session_hash === 'string' ? m.session_hash : undefined,
        queued: true, transport: TRANSPORT_WEBSOCKET,
      }));
    }
    if (ready && 'data' in m) {
      const fnIndex = typeof m.fn_index === 'number' ? m.fn_index : undefined;
      whenReady(ready, (p) => describeLateInputs(x, p, fnIndex, m.data));
    }
  });

  const fromAppMessage = (capture: JsonCapture, at: number) => step(async () => {
    const r = await capture.result;
    if (!isObj(r.value) || !ready) return;
    const m = r.value as Obj;
    if (m.msg === 'send_hash' || m.msg === 'send_data') return;
    const p = await ready;
    if (p && !p.isEnded) applyQueueMessage(x, p, m, at);
  });

  return {
    onResponse(res) {
      if (res.statusCode !== 101) return;
      const deflate = negotiatedDeflate(res.headers['sec-websocket-extensions']);
      fromClient = new MessageReader(deflate && { noContextTakeover: deflate.clientNoContextTakeover }, fromClientMessage, problem);
      fromApp = new MessageReader(deflate && { noContextTakeover: deflate.serverNoContextTakeover }, fromAppMessage, problem);
    },
    onRequestChunk: (c) => fromClient?.feed(c),
    onResponseChunk: (c) => fromApp?.feed(c),
    onClose() {
      fromClient?.close();
      fromApp?.close();
      // A socket that closed before the completion: the client left (or the app went away).
      step(async () => {
        if (!ready) return;
        const p = await ready;
        if (p && !p.isEnded) await p.finish(A.EndReason.CANCELLED);
      });
    },
    settled: () => chain,
  };
}
