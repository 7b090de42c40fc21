// Where the progress of one event goes. queue/data (one SSE stream per session, diff-encoded)
// and call/ (one SSE stream per event, named events) format the same progress differently.
import type { TtsError } from '../errors.js';
import type { Output } from '../gradio-api/messages.js';

export interface EventSink {
  estimation(rank: number, queueSize: number, rankEta: number | null): void;
  starts(eta: number | null): void;
  generating(output: Output): void;
  completed(output: Output): void;
  failed(err: TtsError): void;
  /** Cancelled through /gradio_api/cancel: Gradio reports an empty successful completion. */
  cancelled(): void;
}
