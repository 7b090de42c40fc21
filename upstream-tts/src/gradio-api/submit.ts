// Turns a queue/join or call/ request into a queued synthesis event: a fresh event id, the
// inputs parsed, the caller's trace context continued, progress routed to the transport's sink.
import type { Context, Tracer } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TtsError } from '../errors.js';
import type { EventSink } from '../jobs/event-sink.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { SynthesisEvent } from '../jobs/synthesis-job.js';
import type { Extracted } from '../../../common/propagation/extract.js';
import {
  ATTR_EXECUTION_PROVIDER, ATTR_GRADIO_API_NAME, ATTR_GRADIO_EVENT_ID, ATTR_GRADIO_FN_INDEX, ATTR_GRADIO_TRANSPORT,
  ATTR_LENGTH_SCALE, ATTR_NOISE_SCALE, ATTR_NOISE_W, ATTR_TEXT_LENGTH, ATTR_VOICE_NAME, ATTR_VOICE_SAMPLE_RATE,
} from '../tracing/attributes.js';
import { SynthesisTrace } from '../tracing/synthesis-trace.js';
import type { VoiceConfig } from '../tts/voice.js';
import { API_NAME, FN_INDEX } from './config.js';
import { rootUrl } from './http.js';
import { parseInputs } from './inputs.js';

export interface SubmitDeps {
  readonly voice: VoiceConfig;
  readonly queue: JobQueue<SynthesisEvent>;
  readonly tracer: Tracer;
  readonly extract: (headers: IncomingMessage['headers']) => Extracted;
  readonly provider: () => string;
  readonly maxTextChars: number;
  readonly rootPath: string;
}

/** Gradio event ids are uuid4 hex without dashes. */
export const newEventId = (): string => randomUUID().replace(/-/g, '');

export function makeSubmitter(deps: SubmitDeps) {
  return function submit(
    req: IncomingMessage, data: readonly unknown[], transport: string, sinkFor: (eventId: string) => EventSink,
  ): string {
    // A full queue refuses before anything is created: no sink, no session entry, no span.
    deps.queue.checkCapacity();
    const id = newEventId();
    let params: SynthesisEvent['params'];
    try {
      params = parseInputs(data, deps.voice, deps.maxTextChars);
    } catch (err) {
      params = err instanceof TtsError ? err : new TtsError('input_invalid', String(err));
    }
    const parent: Context = deps.extract(req.headers).context;
    const text = typeof data[0] === 'string' ? data[0] : '';
    const trace = new SynthesisTrace(deps.tracer, parent, {
      [ATTR_GRADIO_API_NAME]: `/${API_NAME}`,
      [ATTR_GRADIO_FN_INDEX]: FN_INDEX,
      [ATTR_GRADIO_EVENT_ID]: id,
      [ATTR_GRADIO_TRANSPORT]: transport,
      [ATTR_VOICE_NAME]: deps.voice.name,
      [ATTR_VOICE_SAMPLE_RATE]: deps.voice.sampleRate,
      [ATTR_EXECUTION_PROVIDER]: deps.provider(),
      // The length only: the text itself never leaves the process (design §3).
      [ATTR_TEXT_LENGTH]: [...text].length,
      ...(params instanceof TtsError ? {} : {
        [ATTR_LENGTH_SCALE]: params.scales.lengthScale,
        [ATTR_NOISE_SCALE]: params.scales.noiseScale,
        [ATTR_NOISE_W]: params.scales.noiseW,
      }),
    }, deps.provider);
    deps.queue.push({ id, params, root: rootUrl(req, deps.rootPath), trace, sink: sinkFor(id), abort: new AbortController() });
    return id;
  };
}

export type Submit = ReturnType<typeof makeSubmitter>;
