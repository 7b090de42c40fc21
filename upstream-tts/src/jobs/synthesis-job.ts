// One synthesis event from start to end: run it on the pool, publish every sentence as soon as
// it exists (a WAV of that sentence, as a process_generating step), then the whole WAV, and
// record the spans. Never throws: every outcome goes to the event's sink and span.
import { classify, TtsError } from '../errors.js';
import type { FileStore } from '../files/file-store.js';
import { fileData } from '../gradio-api/messages.js';
import type { SynthesisParams } from '../gradio-api/inputs.js';
import type { WorkerPool } from '../pool/pool.js';
import type { SynthesisTrace } from '../tracing/synthesis-trace.js';
import { encodeWav } from '../tts/wav.js';
import type { VoiceConfig } from '../tts/voice.js';
import type { QueuedEvent } from './job-queue.js';

export interface SynthesisEvent extends QueuedEvent {
  /** The parsed inputs, or the user error that parsing them raised (reported when it runs). */
  readonly params: SynthesisParams | TtsError;
  /** Base URL for file URLs, taken from the request that created the event. */
  readonly root: string;
  readonly trace: SynthesisTrace;
}

export interface SynthesisDeps {
  readonly pool: WorkerPool;
  readonly files: FileStore;
  readonly voice: VoiceConfig;
  readonly sentenceSilenceS: number;
}

const WAV_NAME = 'audio.wav';
const WAV_MIME = 'audio/wav';

export function makeSynthesisProcessor(deps: SynthesisDeps) {
  const { pool, files, voice } = deps;
  return async function process(event: SynthesisEvent): Promise<void> {
    const { sink, trace } = event;
    trace.started();
    let published = Promise.resolve();
    try {
      if (event.params instanceof TtsError) throw event.params;
      const params = event.params;
      const chunks: Int16Array[] = [];
      const steps: number[] = [];
      let lastStep = performance.now();
      const step = (): { duration: number; averageDuration: number } => {
        const now = performance.now();
        steps.push((now - lastStep) / 1000);
        lastStep = now;
        return { duration: steps.at(-1)!, averageDuration: steps.reduce((a, b) => a + b, 0) / steps.length };
      };
      // Sentences arrive while earlier ones are still being written: keep their messages in order.
      await pool.run({ text: params.text, scales: params.scales }, {
        onPhonemized: (e) => trace.phonemized(e, [...params.text].length),
        onSentence: (e) => {
          chunks.push(e.pcm);
          trace.sentence(e, e.pcm.length / voice.sampleRate);
          const wav = encodeWav([e.pcm], voice.sampleRate);
          published = published.then(async () => {
            const file = await files.put(wav, WAV_NAME, WAV_MIME);
            if (!event.abort.signal.aborted) sink.generating({ data: [fileData(file, event.root)], ...step() });
          });
        },
      }, event.abort.signal);
      await published;
      const encoded = trace.encoding();
      const wav = encodeWav(chunks, voice.sampleRate, Math.round(deps.sentenceSilenceS * voice.sampleRate));
      const file = await files.put(wav, WAV_NAME, WAV_MIME);
      const seconds = (wav.length - 44) / 2 / voice.sampleRate;
      encoded(wav.length, seconds);
      sink.completed({ data: [fileData(file, event.root)], ...step() });
      trace.succeeded(wav.length);
    } catch (err) {
      // Let sentence messages already under way go out first, so the last message is the verdict.
      await published.catch(() => undefined);
      const e = classify(err);
      if (e.code === 'cancelled' || event.abort.signal.aborted) {
        const c = new TtsError('cancelled', 'cancelled');
        sink.cancelled();
        trace.failed(c);
      } else {
        sink.failed(e);
        trace.failed(e);
      }
    }
  };
}
