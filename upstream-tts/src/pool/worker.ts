// Entry of one inference thread: one voice, one ORT session, one phonemizer. Everything that
// blocks (wasm phonemization, session.run) happens here so the HTTP thread never waits on it.
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { classify, TtsError } from '../errors.js';
import { phonemesToIds } from '../tts/phoneme-ids.js';
import { Phonemizer } from '../tts/phonemize.js';
import { synthesizeIds } from '../tts/synthesize.js';
import { loadVoiceConfig } from '../tts/voice.js';
import { createSession } from './execution-provider.js';
import { nowEpochMs as nowMs } from '../tracing/time.js';
import { type FromWorker, type SynthesizeRequest, type ToWorker, type WorkerInit } from './messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
// The job this thread is running (the pool sends one at a time), and whether it was cancelled.
let active: number | undefined;
let cancelRequested = false;
// Worker.terminate() while session.run is inside native code aborts the whole process
// ("terminate called after throwing an instance of 'Napi::Error'"), so the pool never terminates
// a busy thread: it asks, and the thread exits itself between two native calls.
let exitRequested = false;
const exitIfAsked = (): void => {
  if (exitRequested) process.exit(0);
};
// Loading the voice is a native call too: a pool closed meanwhile (another thread failed to load
// a corrupt model, say) asks, and this thread exits once the load is over, whichever way it went.
let loading = true;
port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'exit') return;
  exitRequested = true;
  if (!loading && active === undefined) process.exit(0);
});

async function start() {
  const started = nowMs();
  // On Linux a niceness set with pid 0 applies to the calling thread only, and threads inherit
  // it from the thread that creates them: set before the session exists, it covers ORT's
  // intra-op threads too, so the HTTP thread wins the CPU whenever both want it.
  if (init.nice !== 0) {
    try { setPriority(0, init.nice); } catch { /* not permitted: run at normal priority */ }
  }
  const voice = loadVoiceConfig(init.modelPath, init.configPath);
  let choice;
  try {
    choice = await createSession(readFileSync(init.modelPath), init.mode, { intraOpThreads: init.intraOpThreads });
  } catch (err) {
    throw new TtsError('voice_invalid', `cannot load voice model ${init.modelPath}: ${(err as Error).message}`);
  }
  const phonemizer = new Phonemizer();
  // Warm both up: the first wasm call and the first run pay one-off allocation costs that would
  // otherwise land on the first user's request.
  const warm = await phonemizer.phonemize('Ready.', voice.espeakVoice);
  await synthesizeIds(choice.session, voice, phonemesToIds(warm.sentences[0] ?? [], voice.phonemeIdMap).ids,
    { noiseScale: 0, lengthScale: 1, noiseW: 0 });
  post({ type: 'ready', provider: choice.provider, cudaError: choice.cudaError, loadMs: nowMs() - started });
  return { voice, session: choice.session, phonemizer };
}

type Loaded = Awaited<ReturnType<typeof start>>;

async function synthesize(loaded: Loaded, id: number, request: SynthesizeRequest): Promise<void> {
  const { voice, session, phonemizer } = loaded;
  const phStart = nowMs();
  const { sentences } = await phonemizer.phonemize(request.text, voice.espeakVoice);
  const prepared = sentences.map((s) => ({ phonemes: s, ...phonemesToIds(s, voice.phonemeIdMap) }));
  post({
    type: 'phonemized', id, startMs: phStart, endMs: nowMs(), sentences: prepared.length,
    phonemes: prepared.reduce((n, s) => n + s.phonemes.length, 0),
    missing: [...new Set(prepared.flatMap((s) => s.missing))],
  });
  // Punctuation-only text phonemizes to nothing: nothing to say is the caller's problem.
  const speakable = prepared.filter((s) => s.ids.length > 3);
  if (speakable.length === 0) throw new TtsError('text_unspeakable', 'text has nothing to speak (no words after phonemization)');
  for (let index = 0; index < speakable.length; index++) {
    exitIfAsked();
    if (cancelRequested) throw new TtsError('cancelled', 'cancelled');
    const s = speakable[index]!;
    const startMs = nowMs();
    const { pcm } = await synthesizeIds(session, voice, s.ids, request.scales);
    post({ type: 'sentence', id, index, phonemes: s.phonemes.length, startMs, endMs: nowMs(), pcm }, [pcm.buffer as ArrayBuffer]);
  }
}

start().then(
  (loaded) => {
    loading = false;
    exitIfAsked();
    // Jobs run one at a time per thread (the pool never sends a second before `done`/`failed`),
    // but cancel messages must be seen between sentences, so the handler itself is not serialised.
    port.on('message', (msg: ToWorker) => {
      if (msg.type === 'cancel') {
        if (msg.id === active) cancelRequested = true;
        return;
      }
      if (msg.type === 'exit') return; // the listener above
      active = msg.id;
      cancelRequested = false;
      synthesize(loaded, msg.id, msg.request).then(
        () => post({ type: 'done', id: msg.id }),
        (err: unknown) => {
          const e = classify(err);
          post({ type: 'failed', id: msg.id, code: e.code, message: e.message });
        },
      ).finally(() => {
        active = undefined;
        exitIfAsked();
      });
    });
  },
  (err: unknown) => {
    loading = false;
    const e = classify(err);
    post({ type: 'fatal', code: e.code === 'internal' ? 'voice_invalid' : e.code, message: e.message });
    exitIfAsked();
  },
);
