// Gradio's queue semantics for one function: at most `concurrency` events run at once, at most
// `maxSize` wait (a join beyond that is refused with 503), waiting events are told their rank on
// joining and whenever an event finishes, and a started event is told the average run time.
import { TtsError } from '../errors.js';
import type { EventSink } from './event-sink.js';

export interface QueuedEvent {
  readonly id: string;
  readonly sink: EventSink;
  readonly abort: AbortController;
}

/** Runs one event to completion; reports through the event's sink and never throws. */
export type Processor<E extends QueuedEvent> = (event: E) => Promise<void>;

export interface QueueOptions {
  readonly concurrency: number;
  readonly maxSize: number;
}

// Run times averaged for the ETA: the last few are a fair guess for the next.
const DURATION_WINDOW = 20;

export class JobQueue<E extends QueuedEvent> {
  private readonly waiting: E[] = [];
  private readonly running = new Set<E>();
  private readonly durations: number[] = [];

  constructor(private readonly options: QueueOptions, private readonly process: Processor<E>) {}

  get size(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running.size;
  }

  /** Average run time in seconds, or null before the first event finished. */
  averageDuration(): number | null {
    if (this.durations.length === 0) return null;
    return this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
  }

  /** Throws `queue_full` (answered with 503, like Gradio) when no event may join now. */
  checkCapacity(): void {
    if (this.waiting.length >= this.options.maxSize) {
      throw new TtsError('queue_full', `Queue is full. Max size is ${this.options.maxSize} and size is ${this.waiting.length}.`);
    }
  }

  /** Queues the event, or throws `queue_full`. */
  push(event: E): void {
    this.checkCapacity();
    this.waiting.push(event);
    const rank = this.waiting.length - 1;
    event.sink.estimation(rank, this.waiting.length, this.eta(rank));
    this.pump();
  }

  /** Cancels a waiting event (reported at once) or aborts a running one; false if unknown. */
  cancel(id: string): boolean {
    const index = this.waiting.findIndex((e) => e.id === id);
    if (index >= 0) {
      const [event] = this.waiting.splice(index, 1);
      event!.abort.abort();
      event!.sink.cancelled();
      this.broadcastEstimations();
      return true;
    }
    for (const event of this.running) {
      if (event.id === id) {
        event.abort.abort();
        return true;
      }
    }
    return false;
  }

  private eta(rank: number): number | null {
    const avg = this.averageDuration();
    if (avg === null) return null;
    // Events ahead finish `concurrency` at a time; this one then needs one more run.
    return avg * (Math.floor(rank / this.options.concurrency) + 1);
  }

  private broadcastEstimations(): void {
    this.waiting.forEach((e, rank) => e.sink.estimation(rank, this.waiting.length, this.eta(rank)));
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.waiting.length > 0) {
      const event = this.waiting.shift()!;
      this.running.add(event);
      event.sink.starts(this.averageDuration());
      const started = performance.now();
      void this.process(event).finally(() => {
        this.running.delete(event);
        this.durations.push((performance.now() - started) / 1000);
        if (this.durations.length > DURATION_WINDOW) this.durations.shift();
        // Start the next event first, so the estimations tell the rest their new ranks.
        this.pump();
        this.broadcastEstimations();
      });
    }
  }

  /** Fails every waiting event (shutdown). Running ones finish or are aborted by the pool. */
  drain(reason: TtsError): void {
    for (const event of this.waiting.splice(0)) event.sink.failed(reason);
    for (const event of this.running) event.abort.abort();
  }
}
