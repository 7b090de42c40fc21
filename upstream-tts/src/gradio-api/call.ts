// call/<api>: POST creates an event and answers its id; GET call/<api>/<event_id> streams that
// one event as named SSE events (Gradio 4.20+): `generating` and `complete` with full values
// (never diffs), `error` with the error payload (6.13+), `heartbeat` with null. Queue positions
// are not reported on this stream. The response ends after the final event.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TtsError } from '../errors.js';
import type { EventSink } from '../jobs/event-sink.js';
import { Transport } from '../tracing/attributes.js';
import { missingField, readJsonObject, sendBodyError, sendJson } from './http.js';
import { keywordsToData } from './inputs.js';
import type { Submit } from './submit.js';
import { errorPayload, type Output } from './messages.js';
import { namedFrame, openSse } from './sse.js';

interface CallStream {
  buffer: string[];
  done: boolean;
  res?: ServerResponse;
  heartbeat?: NodeJS.Timeout;
  createdMs: number;
}

export interface CallOptions {
  readonly heartbeatMs: number;
  /** A finished call whose stream nobody fetched is forgotten after this long. */
  readonly unreadTtlMs: number;
  /** Calls kept; beyond it the oldest finished, unread one is forgotten first. */
  readonly maxCalls: number;
}

export class CallStreams {
  private readonly calls = new Map<string, CallStream>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: CallOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.unreadTtlMs, 30_000)).unref();
  }

  sinkFor(eventId: string): EventSink {
    if (this.calls.size >= this.options.maxCalls) {
      for (const [id, c] of this.calls) {
        if (c.done && !c.res) {
          this.calls.delete(id);
          break;
        }
      }
    }
    const call: CallStream = { buffer: [], done: false, createdMs: Date.now() };
    this.calls.set(eventId, call);
    const send = (frame: string) => {
      if (call.done) return;
      if (call.res) call.res.write(frame);
      else call.buffer.push(frame);
    };
    const finish = (frame: string) => {
      if (call.done) return;
      send(frame);
      call.done = true;
      if (call.res) this.end(eventId, call);
    };
    return {
      estimation: () => undefined,
      starts: () => undefined,
      generating: (output: Output) => send(namedFrame('generating', output.data)),
      completed: (output: Output) => finish(namedFrame('complete', output.data)),
      failed: (err: TtsError) => finish(namedFrame('error', errorPayload(err))),
      cancelled: () => finish(namedFrame('error', null)),
    };
  }

  open(eventId: string, res: ServerResponse): void {
    openSse(res);
    const call = this.calls.get(eventId);
    if (!call) {
      res.end(namedFrame('error', '404: Not Found'));
      return;
    }
    if (call.res) {
      // One reader per event: a second GET gets what a reader of an unknown event gets.
      res.end(namedFrame('error', '404: Not Found'));
      return;
    }
    for (const frame of call.buffer) res.write(frame);
    call.buffer = [];
    if (call.done) {
      this.calls.delete(eventId);
      res.end();
      return;
    }
    call.res = res;
    call.heartbeat = setInterval(() => res.write(namedFrame('heartbeat', null)), this.options.heartbeatMs);
    res.on('close', () => {
      clearInterval(call.heartbeat);
      if (call.res === res) call.res = undefined;
    });
  }

  private end(eventId: string, call: CallStream): void {
    clearInterval(call.heartbeat);
    call.res?.end();
    call.res = undefined;
    this.calls.delete(eventId);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.unreadTtlMs;
    for (const [id, call] of this.calls) if (!call.res && call.done && call.createdMs < cutoff) this.calls.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const [id, call] of this.calls) this.end(id, call);
  }
}

export interface CallRouteDeps {
  readonly submit: Submit;
  readonly calls: CallStreams;
}

/** POST call/<api> {data, session_hash?} or call/v2/<api> {text, speed, …} -> {event_id}. */
export async function handleCallPost(req: IncomingMessage, res: ServerResponse, v2: boolean, deps: CallRouteDeps): Promise<void> {
  try {
    const body = await readJsonObject(req);
    let data: unknown[];
    if (v2) data = keywordsToData(body);
    else if (Array.isArray(body.data)) data = body.data;
    else throw missingField('data', body);
    const eventId = deps.submit(req, data, Transport.CALL, (id) => deps.calls.sinkFor(id));
    sendJson(res, 200, { event_id: eventId });
  } catch (err) {
    sendBodyError(res, err);
  }
}
