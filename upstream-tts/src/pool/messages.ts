// The message protocol between the pool (HTTP thread) and its inference threads. Timestamps are
// epoch milliseconds (tracing/time.ts nowEpochMs, sub-millisecond) so that the HTTP thread can
// turn the worker's stage timings into spans.
import type { ErrorCode } from '../errors.js';
import type { Scales } from '../tts/synthesize.js';
import type { ExecutionProvider, ExecutionProviderMode } from './provider-modes.js';

export interface WorkerInit {
  readonly modelPath: string;
  readonly configPath: string;
  readonly mode: ExecutionProviderMode;
  readonly intraOpThreads: number;
  /** Niceness of the inference thread (and the ORT threads it starts); 0 leaves it unchanged. */
  readonly nice: number;
}

export interface SynthesizeRequest {
  readonly text: string;
  readonly scales: Scales;
}

export type ToWorker =
  | { readonly type: 'synthesize'; readonly id: number; readonly request: SynthesizeRequest }
  | { readonly type: 'cancel'; readonly id: number }
  /** End the thread at the next point where no native call is running (see worker.ts). */
  | { readonly type: 'exit' };

export interface PhonemizedEvent {
  readonly type: 'phonemized';
  readonly id: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly sentences: number;
  readonly phonemes: number;
  /** Phonemes the voice has no id for (skipped, as Piper does). */
  readonly missing: readonly string[];
}

export interface SentenceEvent {
  readonly type: 'sentence';
  readonly id: number;
  readonly index: number;
  readonly phonemes: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly pcm: Int16Array;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly provider: ExecutionProvider; readonly cudaError?: string; readonly loadMs: number }
  | { readonly type: 'fatal'; readonly code: ErrorCode; readonly message: string }
  | PhonemizedEvent
  | SentenceEvent
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly code: ErrorCode; readonly message: string };
