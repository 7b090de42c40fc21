// Everything the Gradio observers share, built once by the composition root.
import type { Tracer } from '@opentelemetry/api';
import { createHmac, randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { boundedMemo } from '../memo.js';
import type { AudioMeta } from '../audio/probe.js';
import { SchemaStore } from './app-config.js';
import { BoundedTable } from './correlate.js';
import { guard, guardedAsync, Site } from '../guard.js';
import { whenReady, type Prediction } from './prediction.js';
import * as A from '../spans/attributes.js';

export interface GradioOptions {
  /** Key for gradio.session (HMAC of session_hash); set the same on every replica to correlate. */
  readonly sessionKey?: string;
  readonly probeOutputs: boolean;
  readonly predictionTtlMs: number;
  readonly maxPredictions: number;
  /** Predictions one session may hold waiting (a client flooding submissions evicts its own, not other sessions'). */
  readonly maxPredictionsPerSession?: number;
  readonly maxFiles: number;
  readonly fileTtlMs: number;
  readonly maxAudioS: number;
  readonly maxTextChars: number;
  /** How long a message of an event this replica has not seen submitted waits for its submission (default 30 s). */
  readonly earlyTtlMs?: number;
  /**
   * The keep-alive agent of the proxy's own requests to the app: a pool apart from the forwarded
   * requests' (an odd answer to a probe never reaches a client), on their idle clock (below the
   * app's, so none meets a connection the app is closing); unset, Node's global agent.
   */
  readonly appAgent?: Agent;
}

export interface GradioCounters {
  parseError(kind: string): void;
  evicted(table: string, reason: string): void;
  /**
   * A completion for an event no submission through this replica claimed: its join went through
   * another proxy replica (round robin), so neither holds the whole prediction.
   */
  unmatched?(): void;
}

/**
 * A prediction known by its event_id. The span is created asynchronously (the request body and
 * maybe the app schema are still being read), but the handle is registered synchronously the
 * moment the event_id passes, so no message of the event can overtake it.
 */
export interface Handle {
  readonly eventId: string;
  readonly sessionKey?: string;
  /** Never rejects; undefined when the span could not be made (counted by the guard). */
  readonly ready: Promise<Prediction | undefined>;
  prediction?: Prediction;
}

/**
 * The handle of a prediction whose span started in its submission's own turn (the usual join).
 * Its promise is made only if something awaits it: a join's prediction may wait long (abandoned,
 * until the session's cap evicts it), and what it holds meanwhile is copied by every young
 * collection it survives (issue 10).
 */
export class StartedHandle implements Handle {
  private promise?: Promise<Prediction | undefined>;

  constructor(readonly eventId: string, readonly sessionKey: string | undefined, readonly prediction: Prediction) {}

  get ready(): Promise<Prediction | undefined> {
    return (this.promise ??= Promise.resolve(this.prediction));
  }
}

/**
 * Runs `fn` on a handle's prediction unless it has ended: in this turn when its span exists (the
 * usual case: no promise per call), else once it does. Guarded either way, a rejection included.
 */
export function onPrediction(h: Handle, fn: (p: Prediction) => unknown): void {
  const p = h.prediction;
  if (!p) return whenReady(h.ready, fn);
  if (p.isEnded) return;
  const r = guard(Site.PREDICTION_END, () => fn(p));
  if (r instanceof Promise) void guardedAsync(Site.PREDICTION_END, () => r);
}

/** Messages for an event_id the proxy has not seen submitted yet (the app may announce an event on an open stream before the join response is out). */
export interface EarlyMessages {
  readonly messages: { readonly msg: Record<string, unknown>; readonly at: number }[];
}

/** What the proxy knows about one app replica (replicas of different arms may run different versions). */
export interface AppView {
  readonly upstream: URL;
  readonly schemas: SchemaStore;
  /** Fetching the schema from the app when it has not passed by: one at a time, at most every 30 s. */
  readonly fetch: { inflight?: Promise<void>; last: number };
  /** How the proxy's own requests (schema, output probes) reach the app: `GradioOptions.appAgent`. */
  readonly agent?: Agent;
}

/**
 * The event streams (queue/data, the 4.0-4.8 join stream) each session has open right now. A
 * page that closes one stream while the next is already open has moved on to it, and only the
 * close of a session's last stream can mean the client left (queue.ts). Entries go at zero, so
 * the map holds open connections only.
 */
export class SessionStreams {
  private readonly open = new Map<string, number>();

  opened(session: string): void {
    this.open.set(session, (this.open.get(session) ?? 0) + 1);
  }

  closed(session: string): void {
    const n = (this.open.get(session) ?? 0) - 1;
    if (n > 0) this.open.set(session, n);
    else this.open.delete(session);
  }

  count(session: string): number {
    return this.open.get(session) ?? 0;
  }
}

export interface GradioContext {
  readonly tracer: Tracer;
  readonly options: GradioOptions;
  /** The view of the replica at `upstream` (one per configured replica). */
  app(upstream: URL): AppView;
  readonly files: BoundedTable<AudioMeta>;
  readonly predictions: BoundedTable<Handle>;
  readonly early: BoundedTable<EarlyMessages>;
  readonly streams: SessionStreams;
  readonly counters: GradioCounters;
  /** The exported stand-in for a raw session_hash. */
  session(raw: string): string;
}

/** Bound on remembered session keys (memo.ts). */
const SESSION_KEYS_MAX = 4096;

export function buildGradioContext(tracer: Tracer, options: GradioOptions, counters: GradioCounters): GradioContext {
  const key = options.sessionKey || randomBytes(32).toString('hex');
  // Remembered: a session makes many requests (join, data, heartbeat, uploads), and an HMAC costs
  // more than the rest of their observation together.
  const session = boundedMemo(SESSION_KEYS_MAX, (raw) => createHmac('sha256', key).update(raw).digest('hex').slice(0, 16));
  // Keyed by origin; only configured replicas are ever routed to, so this stays small.
  const apps = new Map<string, AppView>();
  return {
    tracer, options, counters,
    app(upstream) {
      let a = apps.get(upstream.origin);
      if (!a) apps.set(upstream.origin, (a = { upstream, schemas: new SchemaStore(), fetch: { last: 0 }, agent: options.appAgent }));
      return a;
    },
    files: new BoundedTable<AudioMeta>({
      maxEntries: options.maxFiles, ttlMs: options.fileTtlMs,
      onEvict: (_k, _v, reason) => counters.evicted('files', reason),
    }),
    predictions: new BoundedTable<Handle>({
      maxEntries: options.maxPredictions, ttlMs: options.predictionTtlMs,
      // A session's stream ending or failing concerns that session's predictions alone.
      groupOf: (h) => h.sessionKey,
      maxPerGroup: options.maxPredictionsPerSession ?? 256,
      // An abandoned prediction still becomes a span, saying why it ended.
      onEvict: (_k, h, reason) => {
        counters.evicted('predictions', reason);
        onPrediction(h, (p) => p.finish(reason === 'expired' ? A.EndReason.EXPIRED : A.EndReason.EVICTED, A.ErrorType.PREDICTION_ABANDONED));
      },
    }),
    early: new BoundedTable<EarlyMessages>({
      maxEntries: 1000, ttlMs: options.earlyTtlMs ?? 30_000,
      onEvict: (_k, v, reason) => {
        counters.evicted('early_messages', reason);
        if (v.messages.some((m) => m.msg.msg === 'process_completed')) counters.unmatched?.();
      },
    }),
    streams: new SessionStreams(),
    session,
  };
}


