// The export queue of one exporter (design §5): export is asynchronous and can never slow or
// fail a request. Spans are batched and encoded; one batch at a time is sent. A batch that fails
// with a network error, a timeout, 5xx or 429 is retried with exponential backoff and jitter
// (the stock Zipkin exporter never retries); other 4xx are final. Memory is bounded in spans:
// past the bound the oldest batch goes to the disk spool, or is dropped without one. A batch out
// of attempts goes to the spool as well. The spool is replayed, oldest first, whenever no fresh
// batch is waiting. Every span leaves the queue through exactly one counter: exported or dropped
// (by reason); spooled / replayed / retried count the way there. A span that breaks the backend's
// rules is dropped before encoding (`invalid`); a batch still refused with 400/413/422 is bisected
// so that only the spans the backend refuses on their own are dropped (`rejected`).
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Codec } from './codecs.js';
import { contentTypeOfExt } from './codecs.js';
import { OpenBatch } from './open-batch.js';
import type { Spool, SpoolEntry } from './spool.js';
import type { FailureKind, SendOutcome, Transport } from './transport.js';

export type DropReason = 'queue_full' | 'spool_full' | 'spool_error' | 'retries_exhausted' | 'rejected' | 'encode_error' | 'shutdown' | 'invalid';

export interface QueueCounters {
  exported(spans: number): void;
  retried(spans: number, kind: FailureKind): void;
  spooled(spans: number): void;
  replayed(spans: number): void;
  /**
   * `maybeDelivered`: an attempt went out whole and got no answer, so the backend may hold these
   * spans after all; the spans missing there are the dropped ones less at most these.
   */
  dropped(spans: number, reason: DropReason, maybeDelivered?: boolean): void;
  /** After each attempt: did the backend take the batch. */
  attempt(ok: boolean): void;
}

export interface QueueOptions {
  readonly maxQueueSpans: number;
  readonly maxBatchSpans: number;
  readonly scheduleDelayMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly maxAttempts: number;
  readonly random?: () => number;
}

interface Batch {
  readonly body: Uint8Array;
  readonly spans: number;
  readonly contentType: string;
  attempts: number;
  /** An attempt went out whole and got no answer (see `SendOutcome.maybeDelivered`). */
  maybeDelivered: boolean;
  readonly entry?: SpoolEntry;
}

const IDLE_TICK_MS = 1000;

// Refusals about the content of a batch, which a smaller batch can get past. Others (401, 404…)
// would refuse every half the same way, so the batch is dropped whole as before.
const BISECT_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);
// Nothing was sent: retried as a connection that failed.
const SEND_THREW: SendOutcome = Object.freeze({ ok: false, retryable: true, kind: 'network' });

/** Exponential backoff with "equal jitter": half the step fixed, half random, capped. */
export function backoffMs(failures: number, initialMs: number, maxMs: number, random: () => number, retryAfterMs?: number): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const jittered = step / 2 + random() * (step / 2);
  return retryAfterMs !== undefined ? Math.min(maxMs, Math.max(jittered, retryAfterMs)) : jittered;
}

export class ExportQueue {
  private pending: ReadableSpan[] = [];
  /**
   * Spans already encoded one by one, waiting for their batch (codecs with `pieces`). Spans are
   * encoded at the end of the turn they ended in, so no span object outlives its turn: held until
   * a batch filled (a tenth of a second under load), every span survived young-generation
   * collections and was promoted, and full collections came several times a second (issue 10).
   */
  private readonly open?: OpenBatch<ReadableSpan>;
  private turnScheduled = false;
  private readonly batches: Batch[] = [];
  private inflight?: Batch;
  private sealTimer?: NodeJS.Timeout;
  private sealScheduled = false;
  private wake?: () => void;
  private sleepTimer?: NodeJS.Timeout;
  private cutSleep?: () => void;
  private failures = 0;
  /** Spans of batches being written to the spool. */
  private spilling = 0;
  private draining = false;
  private drainFailed = false;
  private closed = false;
  private readonly loop: Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly name: string,
    private readonly codec: Codec,
    private readonly transport: Transport,
    private readonly opts: QueueOptions,
    private readonly counters: QueueCounters,
    private readonly spool?: Spool,
  ) {
    this.random = opts.random ?? Math.random;
    if (codec.pieces) this.open = new OpenBatch(codec.pieces);
    this.loop = this.run();
  }

  /** Spans held in memory (pending, batched, in flight). */
  get queuedSpans(): number {
    return this.pending.length + this.encodedSpans + this.batches.reduce((n, b) => n + b.spans, 0) + (this.inflight && !this.inflight.entry ? this.inflight.spans : 0);
  }

  get spoolBytes(): number {
    return this.spool?.bytes ?? 0;
  }

  get spoolSpans(): number {
    return this.spool?.spans ?? 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  add(spans: readonly ReadableSpan[]): void {
    if (this.closed) {
      this.counters.dropped(spans.length, 'shutdown');
      return;
    }
    for (const s of spans) this.pending.push(s);
    if (this.pending.length + this.encodedSpans >= this.opts.maxBatchSpans) this.scheduleSeal();
    else {
      this.sealTimer ??= setTimeout(() => { this.sealTimer = undefined; this.seal(); }, this.opts.scheduleDelayMs).unref();
      if (this.open) this.scheduleTurn();
    }
    this.enforceCap();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => { this.turnScheduled = false; this.encodePieces(); });
  }

  /** The spans this codec's rules admit; the others are counted as dropped. */
  private admitted(spans: ReadableSpan[]): ReadableSpan[] {
    const admits = this.codec.admits;
    if (!admits) return spans;
    const valid = spans.filter((s) => { try { return admits(s); } catch { return false; } });
    this.counters.dropped(spans.length - valid.length, 'invalid');
    return valid;
  }

  /** Spans encoded into the open batch, not yet sealed. */
  private get encodedSpans(): number {
    return this.open?.spans ?? 0;
  }

  /** Pending spans into the open batch (codecs with `pieces`); a full one becomes a batch. */
  private encodePieces(): void {
    const open = this.open;
    if (!open || !this.pending.length) return;
    const spans = this.admitted(this.pending);
    this.pending = [];
    for (const span of spans) {
      if (!open.add(span)) this.counters.dropped(1, 'encode_error');
      else if (open.spans >= this.opts.maxBatchSpans) this.sealOpen();
    }
  }

  private sealOpen(): void {
    const open = this.open;
    if (!open || !open.spans) return;
    const spans = open.spans;
    let body: Uint8Array;
    try {
      body = open.close();
    } catch {
      this.counters.dropped(spans, 'encode_error');
      open.clear();
      return;
    }
    this.batches.push({ body, spans, contentType: this.codec.contentType, attempts: 0, maybeDelivered: false });
    // A batch filled at the end of a turn goes out without waiting for the seal that follows.
    this.wake?.();
  }

  // Encoding waits for the next turn of the event loop: never inside a request's own callbacks.
  private scheduleSeal(): void {
    if (this.sealScheduled) return;
    this.sealScheduled = true;
    setImmediate(() => { this.sealScheduled = false; this.seal(); });
  }

  /** Turns pending spans (and the open batch) into encoded batches. */
  private seal(enforce = true): void {
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    if (this.open) {
      this.encodePieces();
      this.sealOpen();
    }
    while (this.pending.length) {
      const spans = this.admitted(this.pending.splice(0, this.opts.maxBatchSpans));
      if (!spans.length) continue;
      let body: Uint8Array;
      try {
        body = this.codec.encode(spans);
      } catch {
        this.counters.dropped(spans.length, 'encode_error');
        continue;
      }
      this.batches.push({ body, spans: spans.length, contentType: this.codec.contentType, attempts: 0, maybeDelivered: false });
    }
    if (enforce) this.enforceCap();
    this.wake?.();
  }

  /** Oldest batches leave memory first: to the spool, or dropped. */
  private enforceCap(): void {
    while (this.queuedSpans > this.opts.maxQueueSpans) {
      const oldest = this.batches.shift();
      if (oldest) {
        this.spill(oldest, 'queue_full');
        continue;
      }
      // Only pending spans, the open batch's (and the batch in flight) are left. With a spool,
      // seal them now so they can go to disk; without one, drop the oldest (the encoded are older).
      if (this.spool && (this.pending.length || this.encodedSpans)) {
        this.seal(false);
        if (this.batches.length) continue;
      }
      const over = this.queuedSpans - this.opts.maxQueueSpans;
      const fromEncoded = Math.min(this.encodedSpans, over);
      const fromPending = Math.min(this.pending.length, over - fromEncoded);
      if (fromEncoded + fromPending <= 0) break;
      this.open?.dropOldest(fromEncoded);
      this.pending.splice(0, fromPending);
      this.counters.dropped(fromEncoded + fromPending, 'queue_full');
    }
  }

  /**
   * Moves a batch to the spool (counted spooled), or drops it with `reason` without one. Batches
   * waiting for the disk are memory too: a disk that stalls gets at most one queue's worth.
   */
  private spill(b: Batch, reason: DropReason): Promise<void> {
    if (!this.spool || this.spilling + b.spans > this.opts.maxQueueSpans) {
      this.counters.dropped(b.spans, reason, b.maybeDelivered);
      return Promise.resolve();
    }
    this.spilling += b.spans;
    return this.spool.put(b.body, b.spans, b.attempts, this.codec.ext, b.maybeDelivered).then((ok) => {
      this.spilling -= b.spans;
      if (ok) {
        this.counters.spooled(b.spans);
        this.wake?.();
      }
    });
  }

  private async next(): Promise<Batch | undefined> {
    const b = this.batches.shift();
    if (b) return b;
    if (!this.spool || this.draining || this.spool.size === 0) return undefined;
    const got = await this.spool.take();
    if (!got) return undefined;
    const contentType = contentTypeOfExt(got.entry.ext);
    if (!contentType) {
      await this.spool.remove(got.entry);
      this.counters.dropped(got.entry.spans, 'spool_error', got.entry.maybeDelivered);
      return this.next();
    }
    return { body: got.body, spans: got.entry.spans, contentType, attempts: got.entry.attempts, maybeDelivered: got.entry.maybeDelivered, entry: got.entry };
  }

  /**
   * One send, whatever it does: a send that throws (a request that cannot be built, a failed
   * compression) is a failed attempt like a refused connection. Thrown out of the loop, it ended
   * the loop, and with it every export of the process, silently.
   */
  private async attempt(b: Batch): Promise<SendOutcome> {
    try {
      return await this.transport.send(b.body, b.contentType);
    } catch {
      return SEND_THREW;
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.draining && this.drainFailed) return;
      const b = await this.next();
      if (!b) {
        // next() may have looked before a batch was sealed: check again before stopping or waiting.
        if (this.batches.length) continue;
        if (this.draining) return;
        // Woken by a new batch or spooled file; the idle tick covers a wake-up that came while
        // next() was still looking (and replays the spool when nothing else happens).
        let idle: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => { this.wake = resolve; idle = setTimeout(resolve, IDLE_TICK_MS).unref(); });
        clearTimeout(idle);
        this.wake = undefined;
        continue;
      }
      this.inflight = b;
      const r = await this.attempt(b);
      this.inflight = undefined;
      this.counters.attempt(r.ok);
      if (r.ok) {
        this.failures = 0;
        this.counters.exported(b.spans);
        if (b.entry) {
          this.counters.replayed(b.spans);
          await this.spool!.remove(b.entry);
        }
        continue;
      }
      if (!r.retryable) {
        const halves = r.status !== undefined && BISECT_STATUSES.has(r.status) ? this.split(b) : undefined;
        if (halves) this.batches.unshift(...halves);
        else this.counters.dropped(b.spans, 'rejected', b.maybeDelivered);
        if (b.entry) await this.spool!.remove(b.entry);
        continue;
      }
      this.counters.retried(b.spans, r.kind);
      this.failures++;
      b.attempts++;
      if (r.maybeDelivered) b.maybeDelivered = true;
      if (b.entry) {
        // A spooled batch waits for the backend as long as the spool has room: only the size
        // cap (oldest first) or a success removes it, never a count of failed replays.
        b.entry.attempts = b.attempts - 1;
        b.entry.maybeDelivered = b.maybeDelivered;
        this.spool!.release(b.entry);
      } else if (b.attempts >= this.opts.maxAttempts || this.draining) {
        // Out of attempts (or shutting down): keep it on disk if there is a spool.
        if (this.draining) this.batches.unshift(b);
        else await this.spill(b, 'retries_exhausted');
      } else {
        this.batches.unshift(b);
        this.enforceCap();
      }
      if (this.draining) {
        // The backend is failing and the process is stopping: no time for backoff.
        this.drainFailed = true;
        return;
      }
      await this.sleep(backoffMs(this.failures, this.opts.retryInitialMs, this.opts.retryMaxMs, this.random, r.retryAfterMs));
    }
  }

  /**
   * The two halves of a refused batch, sent next, first half first: each refusal halves the
   * batch, so a bad span is alone after log2(batch) rounds, and a batch of n spans costs at most
   * 2n-1 requests. A spooled batch of another encoding is not split.
   */
  private split(b: Batch): Batch[] | undefined {
    if (b.spans < 2 || !this.codec.split || (b.entry && b.entry.ext !== this.codec.ext)) return undefined;
    let halves;
    try {
      halves = this.codec.split(b.body);
    } catch {
      return undefined;
    }
    return halves?.map((h) => ({ body: h.body, spans: h.spans, contentType: b.contentType, attempts: 0, maybeDelivered: b.maybeDelivered }));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.cutSleep = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
      this.sleepTimer.unref();
    }).finally(() => { this.cutSleep = undefined; });
  }

  /**
   * Shutdown: seals what is pending and sends what it can within `deadlineMs` (no backoff; a
   * failure ends the attempt). What is left goes to the spool, or is counted as dropped.
   */
  async drain(deadlineMs: number): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    this.seal();
    clearTimeout(this.sleepTimer);
    this.cutSleep?.();
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, deadlineMs)); });
    await Promise.race([this.loop, deadline]);
    clearTimeout(timer);
    this.closed = true;
    this.wake?.();
    this.cutSleep?.();
    const left = this.batches.splice(0);
    for (const b of left) await this.spill(b, 'shutdown');
    // A batch still in flight at the deadline is abandoned with the process.
    // Its request may be out whole, so it may arrive: counted as maybe delivered.
    if (this.inflight && !this.inflight.entry) this.counters.dropped(this.inflight.spans, 'shutdown', true);
    this.inflight = undefined;
    await this.spool?.close();
    this.transport.close();
  }
}
