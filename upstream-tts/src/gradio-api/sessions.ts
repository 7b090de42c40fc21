// queue/data: one SSE stream per session carries the messages of all its events (sse_v3).
// Messages produced before the client opens the stream (it opens it after queue/join answers)
// or while it is away are buffered; when the session's last pending event has completed and
// its messages are delivered, `close_stream` ends the response, as Gradio 4.22+ does.
import type { ServerResponse } from 'node:http';
import type { TtsError } from '../errors.js';
import type { EventSink } from '../jobs/event-sink.js';
import { diff } from './diff.js';
import {
  CLOSE_STREAM_MESSAGE, estimationMessage, HEARTBEAT_MESSAGE, outputDict, processCancelledMessage,
  processCompletedMessage, processFailedMessage, processGeneratingMessage, processStartsMessage,
  SESSION_NOT_FOUND_MESSAGE, type Output,
} from './messages.js';
import { dataFrame, openSse } from './sse.js';

interface Session {
  readonly pending: Set<string>;
  buffer: string[];
  bufferedBytes: number;
  res?: ServerResponse;
  heartbeat?: NodeJS.Timeout;
  lastSeenMs: number;
}

export interface SessionOptions {
  readonly heartbeatMs: number;
  /** A session nobody reads is forgotten this long after its last activity. */
  readonly idleTtlMs: number;
  /** Buffered bytes per session while no stream is open; beyond it the oldest are dropped. */
  readonly maxBufferBytes: number;
  /** Sessions kept; beyond it the oldest finished, unread ones are forgotten first. */
  readonly maxSessions: number;
}

export class SessionStreams {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  droppedMessages = 0;
  evictedSessions = 0;

  constructor(private readonly options: SessionOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.idleTtlMs, 30_000)).unref();
  }

  get count(): number {
    return this.sessions.size;
  }

  private session(hash: string): Session {
    let s = this.sessions.get(hash);
    if (!s) {
      if (this.sessions.size >= this.options.maxSessions) this.evictOne();
      s = { pending: new Set(), buffer: [], bufferedBytes: 0, lastSeenMs: Date.now() };
      this.sessions.set(hash, s);
    }
    return s;
  }

  /** Registers an event of the session and returns the sink its progress is published through. */
  sinkFor(sessionHash: string, eventId: string): EventSink {
    this.session(sessionHash).pending.add(eventId);
    let previous: readonly unknown[] | undefined;
    let finished = false;
    const send = (message: unknown) => this.send(sessionHash, message);
    const finish = (message: unknown) => {
      if (finished) return;
      finished = true;
      send(message);
      this.complete(sessionHash, eventId);
    };
    return {
      estimation: (rank, size, eta) => { if (!finished) send(estimationMessage(eventId, rank, size, eta)); },
      starts: (eta) => { if (!finished) send(processStartsMessage(eventId, eta)); },
      generating: (output: Output) => {
        if (finished) return;
        // The first step carries full values, later ones per-output edits (sse_v2+).
        const data = previous === undefined ? output.data : output.data.map((v, i) => diff(previous![i], v));
        previous = output.data;
        send(processGeneratingMessage(eventId, outputDict({ ...output, data }, true)));
      },
      completed: (output: Output) => finish(processCompletedMessage(eventId, output)),
      failed: (err: TtsError) => finish(processFailedMessage(eventId, err)),
      cancelled: () => finish(processCancelledMessage(eventId)),
    };
  }

  private send(hash: string, message: unknown): void {
    const s = this.session(hash);
    s.lastSeenMs = Date.now();
    const frame = dataFrame(message);
    if (s.res) {
      s.res.write(frame);
      return;
    }
    s.buffer.push(frame);
    s.bufferedBytes += frame.length;
    while (s.bufferedBytes > this.options.maxBufferBytes && s.buffer.length > 1) {
      s.bufferedBytes -= s.buffer.shift()!.length;
      this.droppedMessages++;
    }
  }

  private complete(hash: string, eventId: string): void {
    const s = this.sessions.get(hash);
    if (!s) return;
    s.pending.delete(eventId);
    if (s.pending.size > 0) return;
    this.send(hash, CLOSE_STREAM_MESSAGE);
    if (s.res) this.end(hash, s);
  }

  /** GET queue/data?session_hash=: attach the stream, flush what waited, close when done. */
  open(hash: string, res: ServerResponse): void {
    const s = this.sessions.get(hash);
    openSse(res);
    if (!s) {
      // Gradio 6: the stream starts, says the session is unknown, and ends.
      res.end(dataFrame(SESSION_NOT_FOUND_MESSAGE));
      return;
    }
    if (s.res) this.detach(s); // a newer stream for the same session replaces the old one
    for (const frame of s.buffer) res.write(frame);
    s.buffer = [];
    s.bufferedBytes = 0;
    s.lastSeenMs = Date.now();
    if (s.pending.size === 0) {
      // Everything, close_stream included, was waiting in the buffer: the stream is complete.
      res.end();
      this.sessions.delete(hash);
      return;
    }
    s.res = res;
    s.heartbeat = setInterval(() => res.write(dataFrame(HEARTBEAT_MESSAGE)), this.options.heartbeatMs);
    res.on('close', () => {
      if (s.res === res) this.detach(s);
    });
  }

  private detach(s: Session): void {
    clearInterval(s.heartbeat);
    s.heartbeat = undefined;
    const res = s.res;
    s.res = undefined;
    s.lastSeenMs = Date.now();
    if (res && !res.writableEnded) res.end();
  }

  private end(hash: string, s: Session): void {
    this.detach(s);
    if (s.pending.size === 0 && s.buffer.length === 0) this.sessions.delete(hash);
  }

  /** Forgets the oldest session that nobody reads and that has nothing pending (Map order = age). */
  private evictOne(): void {
    for (const [hash, s] of this.sessions) {
      if (!s.res && s.pending.size === 0) {
        this.sessions.delete(hash);
        this.evictedSessions++;
        return;
      }
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleTtlMs;
    for (const [hash, s] of this.sessions) {
      if (!s.res && s.lastSeenMs < cutoff && s.pending.size === 0) this.sessions.delete(hash);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const s of this.sessions.values()) this.detach(s);
    this.sessions.clear();
  }
}
