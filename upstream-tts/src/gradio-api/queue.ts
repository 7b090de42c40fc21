// The queue routes of sse_v3: POST queue/join, GET queue/data, GET queue/status, POST cancel
// and POST reset. Status codes and bodies follow Gradio 6 (gradio/routes.py queue_join_helper).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobQueue } from '../jobs/job-queue.js';
import type { SynthesisEvent } from '../jobs/synthesis-job.js';
import { Transport } from '../tracing/attributes.js';
import { FN_INDEX } from './config.js';
import { internalServerError, missingField, readJsonObject, sendBodyError, sendJson } from './http.js';
import { estimationMessage } from './messages.js';
import type { SessionStreams } from './sessions.js';
import type { Submit } from './submit.js';

export interface QueueRouteDeps {
  readonly submit: Submit;
  readonly sessions: SessionStreams;
  readonly queue: JobQueue<SynthesisEvent>;
}

export async function handleJoin(req: IncomingMessage, res: ServerResponse, deps: QueueRouteDeps): Promise<void> {
  try {
    const body = await readJsonObject(req);
    if (!Array.isArray(body.data)) throw missingField('data', body);
    if (typeof body.session_hash !== 'string' || body.session_hash === '') {
      sendJson(res, 400, { detail: 'Session hash not found.' });
      return;
    }
    if (body.fn_index === undefined || body.fn_index === null) {
      sendJson(res, 400, { detail: 'No function index provided.' });
      return;
    }
    if (body.fn_index !== FN_INDEX) {
      internalServerError(res);
      return;
    }
    const sessionHash = body.session_hash;
    const eventId = deps.submit(req, body.data, Transport.QUEUE, (id) => deps.sessions.sinkFor(sessionHash, id));
    sendJson(res, 200, { event_id: eventId });
  } catch (err) {
    sendBodyError(res, err);
  }
}

export function handleData(url: URL, res: ServerResponse, deps: QueueRouteDeps): void {
  const sessionHash = url.searchParams.get('session_hash');
  if (!sessionHash) {
    sendJson(res, 422, { detail: [{ type: 'missing', loc: ['query', 'session_hash'], msg: 'Field required', input: null }] });
    return;
  }
  deps.sessions.open(sessionHash, res);
}

export function handleStatus(res: ServerResponse, deps: QueueRouteDeps): void {
  sendJson(res, 200, estimationMessage(null, null, deps.queue.size, null));
}

/** POST cancel {event_id, session_hash, fn_index} and POST reset {event_id}: both answer success. */
export async function handleCancel(req: IncomingMessage, res: ServerResponse, deps: QueueRouteDeps): Promise<void> {
  try {
    const body = await readJsonObject(req);
    if (typeof body.event_id === 'string') deps.queue.cancel(body.event_id);
    sendJson(res, 200, { success: true });
  } catch (err) {
    sendBodyError(res, err);
  }
}
