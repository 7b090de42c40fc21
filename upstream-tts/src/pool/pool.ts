// A fixed-size pool of inference threads, one ORT session each. A thread that dies is replaced,
// and its job fails with `worker_crashed`; the pool shrinks only if a replacement cannot load
// the voice any more (logged).
import { Worker } from 'node:worker_threads';
import { TtsError } from '../errors.js';
import type { Logger } from '../../../common/logger.js';
import type { ExecutionProvider } from './provider-modes.js';
import type { FromWorker, PhonemizedEvent, SentenceEvent, SynthesizeRequest, WorkerInit } from './messages.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

export interface JobHandlers {
  onPhonemized?(event: PhonemizedEvent): void;
  onSentence?(event: SentenceEvent): void;
}

export interface PoolStats {
  readonly size: number;
  readonly ready: number;
  readonly busy: number;
  readonly queued: number;
  readonly restarts: number;
}

interface Job {
  readonly id: number;
  readonly request: SynthesizeRequest;
  readonly handlers: JobHandlers;
  readonly resolve: () => void;
  readonly reject: (err: TtsError) => void;
  readonly signal?: AbortSignal;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  /** Set when the pool itself ends the thread, so its exit is not taken for a crash. */
  retiring: boolean;
  /** The thread reported that it could not load the voice: it is done with native calls. */
  failed?: boolean;
}

// A replacement that keeps dying (e.g. the model file vanished) must not spin the CPU.
const RESPAWN_DELAY_MS = 500;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private restarts = 0;
  private closed = false;
  provider: ExecutionProvider = 'cpu';
  cudaError: string | undefined;

  private constructor(private readonly init: WorkerInit, private readonly logger: Logger) {}

  /** Starts `size` threads and resolves once all loaded the voice; rejects on the first failure. */
  static async start(size: number, init: WorkerInit, logger: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(init, logger);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: this.init });
    const slot: Slot = { worker, ready: false, retiring: false };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            slot.ready = true;
            this.provider = msg.provider;
            this.cudaError = msg.cudaError;
            resolve();
            this.dispatch();
            return;
          case 'fatal':
            slot.retiring = true;
            slot.failed = true;
            void worker.terminate();
            reject(new TtsError(msg.code, msg.message));
            return;
          default:
            this.onJobMessage(slot, msg);
        }
      });
      worker.on('error', (err) => {
        // Uncaught in the thread: it is gone. Its 'exit' follows and does the replacing.
        this.logger.log('error', 'inference thread failed', { error: err.name, message: err.message });
        if (!slot.ready) reject(new TtsError('worker_crashed', `inference thread failed to start: ${err.message}`));
      });
      worker.on('exit', (code) => this.onExit(slot, code));
    });
  }

  private onJobMessage(slot: Slot, msg: Exclude<FromWorker, { type: 'ready' | 'fatal' }>): void {
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    switch (msg.type) {
      case 'phonemized':
        job.handlers.onPhonemized?.(msg);
        return;
      case 'sentence':
        job.handlers.onSentence?.(msg);
        return;
      case 'done':
        slot.job = undefined;
        job.resolve();
        break;
      case 'failed':
        slot.job = undefined;
        job.reject(new TtsError(msg.code, msg.message));
        break;
    }
    this.dispatch();
  }

  private onExit(slot: Slot, code: number): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new TtsError('worker_crashed', `inference thread exited (code ${code}) during synthesis`));
    if (this.closed || (slot.retiring && !slot.ready)) return;
    if (!slot.retiring) this.logger.log('warn', 'inference thread exited; starting a replacement', { code });
    this.restarts++;
    setTimeout(() => {
      if (this.closed) return;
      this.spawn().catch((err: unknown) => {
        this.logger.log('error', 'replacement inference thread failed to start', { message: (err as Error).message });
      });
    }, slot.retiring ? 0 : RESPAWN_DELAY_MS).unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || slot.retiring) continue;
      const job = this.waiting.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.postMessage({ type: 'synthesize', id: job.id, request: job.request });
    }
  }

  /** Synthesises on the next free thread; handlers see the worker's progress as it happens. */
  run(request: SynthesizeRequest, handlers: JobHandlers = {}, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new TtsError('internal', 'pool is closed'));
    return new Promise<void>((resolve, reject) => {
      const job: Job = { id: this.nextId++, request, handlers, resolve, reject, signal };
      signal?.addEventListener('abort', () => {
        const queued = this.waiting.indexOf(job);
        if (queued >= 0) {
          this.waiting.splice(queued, 1);
          reject(new TtsError('cancelled', 'cancelled'));
          return;
        }
        // Running: the thread stops after its current sentence and answers `failed: cancelled`.
        this.slots.find((s) => s.job === job)?.worker.postMessage({ type: 'cancel', id: job.id });
      }, { once: true });
      this.waiting.push(job);
      this.dispatch();
    });
  }

  /**
   * Replaces one thread. It exits at its next safe point (between sentences, or at once when
   * idle); a job it was running fails with `worker_crashed`, as it would if the thread died.
   */
  recycle(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot) throw new RangeError(`no thread ${index}`);
    slot.retiring = true; // no new job goes to it; its exit is planned, not a crash
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    slot.worker.postMessage({ type: 'exit' });
    return exited;
  }

  stats(): PoolStats {
    return {
      size: this.slots.length,
      ready: this.slots.filter((s) => s.ready).length,
      busy: this.slots.filter((s) => s.job).length,
      queued: this.waiting.length,
      restarts: this.restarts,
    };
  }

  /** Fails waiting jobs, stops running ones after their current sentence, ends every thread. */
  async close(deadlineMs = 10_000): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new TtsError('cancelled', 'server shutting down'));
    await Promise.all(this.slots.map(async (s) => {
      s.retiring = true;
      const exited = new Promise<void>((resolve) => s.worker.once('exit', () => resolve()));
      // Idle, or already failed to load: no native call on the thread's stack, so terminating it
      // is safe. A thread still loading the voice is inside one, as a busy one is: it is asked.
      if (!s.job && (s.ready || s.failed)) {
        await s.worker.terminate();
        return;
      }
      s.worker.postMessage({ type: 'exit' });
      const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), deadlineMs).unref());
      if ((await Promise.race([exited, timer])) === 'late') await s.worker.terminate();
    }));
  }
}
