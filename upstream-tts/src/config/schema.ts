// Every option of the worker, declared once: the loader validates against this table and
// `--help` is generated from it. OTEL_* variables mean what they mean for the proxy.
import { EXECUTION_PROVIDER_MODES } from '../pool/provider-modes.js';

// The declaration format, the value conversion and the shared OTEL_* options: common/config.
import { traceOptions, type OptionSpec } from '../../../common/config/options.js';

export const TRACES_EXPORTERS = ['zipkin', 'console', 'none'] as const;

export const OPTIONS: readonly OptionSpec[] = [
  ...traceOptions({ serviceName: 'upstream-tts', logLevelEnv: 'TTS_WORKER_LOG_LEVEL' }),
  { key: 'voice', type: 'path', flag: '--voice', env: 'TTS_WORKER_VOICE', default: '',
    description: 'Piper voice model (.onnx); its config is <voice>.json. Default: the en_US-joe-medium voice that scripts/setup-voice.sh caches.' },
  { key: 'listen', type: 'address', flag: '--listen', env: 'TTS_WORKER_LISTEN', default: '127.0.0.1:7860',
    description: 'host:port to serve the Gradio-compatible API and the page on.' },
  { key: 'workers', type: 'int', flag: '--workers', env: 'TTS_WORKER_POOL_SIZE', default: '', min: 1, max: 256,
    description: 'Inference threads, one ORT session (and one copy of the voice in memory) each. Default: the number of cores.' },
  { key: 'threads', type: 'int', flag: '--threads', env: 'TTS_WORKER_INTRA_OP_THREADS', default: '', min: 1, max: 256,
    description: 'ORT intra-op threads per inference thread. Default: cores / workers, at least 1.' },
  { key: 'executionProvider', type: 'enum', flag: '--execution-provider', env: 'TTS_WORKER_EXECUTION_PROVIDER', default: 'auto',
    choices: EXECUTION_PROVIDER_MODES,
    description: 'auto: CUDA when its provider library is installed and loads, else CPU. cuda: try CUDA, warn and use CPU when it cannot load. cpu: CPU only.' },
  { key: 'inferenceNice', type: 'int', flag: '--inference-nice', env: 'TTS_WORKER_INFERENCE_NICE', default: '10', min: 0, max: 19,
    description: 'Niceness of the inference threads (Linux), so the HTTP thread gets the CPU first; 0 disables.' },
  { key: 'concurrency', type: 'int', flag: '--concurrency', env: 'TTS_WORKER_CONCURRENCY', default: '', min: 1, max: 1024,
    description: 'Events processed at once (Gradio concurrency_limit). Default: the number of workers.' },
  { key: 'maxQueueSize', type: 'int', flag: '--max-queue-size', env: 'TTS_WORKER_MAX_QUEUE_SIZE', default: '32', min: 0, max: 100000,
    description: 'Events allowed to wait (Gradio max_size); a join beyond it gets HTTP 503.' },
  { key: 'maxTextChars', type: 'int', flag: '--max-text-chars', env: 'TTS_WORKER_MAX_TEXT_CHARS', default: '5000', min: 1, max: 1000000,
    description: 'Longest accepted text, in characters (Unicode codepoints).' },
  { key: 'heartbeatIntervalS', type: 'number', flag: '--heartbeat-interval', env: 'GRADIO_HEARTBEAT_INTERVAL', default: '15', min: 0.05, max: 3600,
    description: 'Seconds between heartbeat messages on open SSE streams (Gradio 6 reads the same variable).' },
  { key: 'sentenceSilenceS', type: 'number', flag: '--sentence-silence', env: 'TTS_WORKER_SENTENCE_SILENCE', default: '0', min: 0, max: 10,
    description: 'Seconds of silence between sentences in the final WAV (piper-tts default: 0).' },
  { key: 'filesDir', type: 'path', flag: '--files-dir', env: 'TTS_WORKER_FILES_DIR', default: '',
    description: 'Where generated WAVs are kept for /gradio_api/file=. Default: a new temporary directory, removed at exit.' },
  { key: 'maxFiles', type: 'int', flag: '--max-files', env: 'TTS_WORKER_MAX_FILES', default: '1000', min: 1, max: 10000000,
    description: 'Generated files kept; the oldest is deleted beyond this.' },
  { key: 'fileTtlS', type: 'int', flag: '--file-ttl', env: 'TTS_WORKER_FILE_TTL', default: '3600', min: 1, max: 31536000,
    description: 'Seconds a generated file stays downloadable.' },
  { key: 'rootPath', type: 'string', flag: '--root-path', env: 'GRADIO_ROOT_PATH', default: '',
    description: 'Path prefix the app is served under behind a reverse proxy (Gradio root_path); used in file URLs.' },
  { key: 'tracesExporter', type: 'list', env: 'OTEL_TRACES_EXPORTER', default: 'zipkin', choices: TRACES_EXPORTERS,
    description: 'Span exporters, comma separated: zipkin, console, none.' },
];
