// Every span name and attribute key the worker emits. The logic holds no key strings;
// docs/upstream-tts.md lists the same set and a test keeps the two equal.

export const SPAN_SYNTHESIZE = 'tts.synthesize';
export const SPAN_PHONEMIZE = 'tts.phonemize';
export const SPAN_INFERENCE = 'tts.inference';
export const SPAN_ENCODE = 'tts.encode';

// Gradio identifiers, named as the proxy names them (design §3).
export const ATTR_GRADIO_API_NAME = 'gradio.api_name';
export const ATTR_GRADIO_FN_INDEX = 'gradio.fn_index';
export const ATTR_GRADIO_EVENT_ID = 'gradio.event_id';
export const ATTR_GRADIO_TRANSPORT = 'gradio.transport';

export const ATTR_VOICE_NAME = 'tts.voice.name';
export const ATTR_VOICE_SAMPLE_RATE = 'tts.voice.sample_rate';
export const ATTR_EXECUTION_PROVIDER = 'tts.execution_provider';
export const ATTR_TEXT_LENGTH = 'tts.text.length';
export const ATTR_LENGTH_SCALE = 'tts.length_scale';
export const ATTR_NOISE_SCALE = 'tts.noise_scale';
export const ATTR_NOISE_W = 'tts.noise_w';
export const ATTR_QUEUE_WAIT_MS = 'tts.queue.wait_ms';
export const ATTR_SENTENCE_COUNT = 'tts.sentence.count';
export const ATTR_SENTENCE_INDEX = 'tts.sentence.index';
export const ATTR_PHONEME_COUNT = 'tts.phoneme.count';
export const ATTR_PHONEME_MISSING_COUNT = 'tts.phoneme.missing_count';
/** Compute time / audio time: below 1 is faster than real time. */
export const ATTR_REALTIME_FACTOR = 'tts.realtime_factor';
export const ATTR_TIME_TO_FIRST_CHUNK_MS = 'tts.time_to_first_chunk_ms';
export const ATTR_AUDIO_DURATION_S = 'audio.output.duration_s';
export const ATTR_AUDIO_BYTES = 'audio.output.bytes';
export const ATTR_AUDIO_FORMAT = 'audio.output.format';
export const ATTR_ERROR_TYPE = 'error.type';

/** Values of gradio.transport. */
export const Transport = Object.freeze({ QUEUE: 'queue', CALL: 'call' });

export const ALL_SPAN_NAMES: readonly string[] = [SPAN_SYNTHESIZE, SPAN_PHONEMIZE, SPAN_INFERENCE, SPAN_ENCODE];

export const ALL_ATTRIBUTE_KEYS: readonly string[] = [
  ATTR_GRADIO_API_NAME, ATTR_GRADIO_FN_INDEX, ATTR_GRADIO_EVENT_ID, ATTR_GRADIO_TRANSPORT,
  ATTR_VOICE_NAME, ATTR_VOICE_SAMPLE_RATE, ATTR_EXECUTION_PROVIDER, ATTR_TEXT_LENGTH, ATTR_LENGTH_SCALE,
  ATTR_NOISE_SCALE, ATTR_NOISE_W, ATTR_QUEUE_WAIT_MS, ATTR_SENTENCE_COUNT, ATTR_SENTENCE_INDEX,
  ATTR_PHONEME_COUNT, ATTR_PHONEME_MISSING_COUNT, ATTR_REALTIME_FACTOR, ATTR_TIME_TO_FIRST_CHUNK_MS,
  ATTR_AUDIO_DURATION_S, ATTR_AUDIO_BYTES, ATTR_AUDIO_FORMAT, ATTR_ERROR_TYPE,
];
