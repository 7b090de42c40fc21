// The JSON shapes Gradio 6 puts on the wire for one event (gradio/server_messages.py,
// data_classes.py; checked against a running Gradio 6.31, see docs/upstream-tts.md). Every
// declared field is present, nulls included, because Gradio dumps whole pydantic models.
import type { StoredFile } from '../files/file-store.js';
import type { TtsError } from '../errors.js';

export interface FileData {
  readonly path: string;
  readonly url: string;
  readonly size: null;
  readonly orig_name: string;
  readonly mime_type: null;
  readonly is_stream: false;
  readonly meta: { readonly _type: 'gradio.FileData' };
}

/** FileData of an output file as Gradio sends it (size and mime_type are left null, as Gradio does). */
export function fileData(file: StoredFile, root: string): FileData {
  return {
    path: file.path,
    url: `${root}/gradio_api/file=${file.path}`,
    size: null,
    orig_name: file.path.slice(file.path.lastIndexOf('/') + 1),
    mime_type: null,
    is_stream: false,
    meta: { _type: 'gradio.FileData' },
  };
}

export interface Output {
  /** One value per output component; for process_generating after the first, diffs instead. */
  readonly data: readonly unknown[];
  /** Seconds this step took, and the running average over steps (Gradio's duration fields). */
  readonly duration: number;
  readonly averageDuration: number;
}

export function outputDict(o: Output, generating: boolean) {
  return {
    data: o.data, is_generating: generating, duration: o.duration, average_duration: o.averageDuration,
    render_config: null, changed_state_ids: [], used_cache: null,
  };
}

/** gr.Error's payload (utils.error_payload, 5.x/6.x): shown to the user by both clients. */
export function errorPayload(err: TtsError) {
  return { error: err.message, duration: 10, visible: true, title: 'Error' };
}

export const estimationMessage = (eventId: string | null, rank: number | null, queueSize: number, rankEta: number | null) =>
  ({ msg: 'estimation', event_id: eventId, rank, queue_size: queueSize, rank_eta: rankEta });

export const processStartsMessage = (eventId: string, eta: number | null) => ({ msg: 'process_starts', event_id: eventId, eta });

export const processGeneratingMessage = (eventId: string, output: ReturnType<typeof outputDict>) =>
  ({ msg: 'process_generating', event_id: eventId, output, success: true, time_limit: null });

export const processCompletedMessage = (eventId: string, output: Output) => ({
  msg: 'process_completed', event_id: eventId, output: outputDict(output, false), success: true, title: null,
  used_cache: null, cache_duration: output.duration, avg_time: output.averageDuration,
});

export const processFailedMessage = (eventId: string, err: TtsError) => ({
  msg: 'process_completed', event_id: eventId, output: errorPayload(err), success: false, title: 'Error',
  used_cache: null, cache_duration: null, avg_time: null,
});

/** What /gradio_api/cancel sends for an event cancelled before it finished (Gradio 4.31+). */
export const processCancelledMessage = (eventId: string) => ({
  msg: 'process_completed', event_id: eventId, output: {}, success: true, title: null,
  used_cache: null, cache_duration: null, avg_time: null,
});

export const HEARTBEAT_MESSAGE = { msg: 'heartbeat', event_id: null } as const;
export const CLOSE_STREAM_MESSAGE = { msg: 'close_stream', event_id: null } as const;
export const SESSION_NOT_FOUND_MESSAGE = {
  msg: 'unexpected_error', event_id: null, message: '404: Not Found', session_not_found: true, success: false,
} as const;
