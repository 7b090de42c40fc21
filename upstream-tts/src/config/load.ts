// Precedence: defaults < environment < command-line flags. Parsed once at start-up, then frozen;
// nothing else in upstream-tts reads process.env.
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { deepFreeze, optionsHelp, readOptions, type Address, type TraceSettings } from '../../../common/config/options.js';
import type { ExecutionProviderMode } from '../pool/provider-modes.js';
import { OPTIONS, type TRACES_EXPORTERS } from './schema.js';

export type { Address } from '../../../common/config/options.js';

export interface WorkerConfig extends TraceSettings {
  readonly voice: string;
  /** True when no --voice / TTS_WORKER_VOICE was given (the cached default voice is used). */
  readonly voiceIsDefault: boolean;
  readonly listen: Address;
  readonly workers: number;
  readonly threads: number;
  readonly executionProvider: ExecutionProviderMode;
  readonly inferenceNice: number;
  readonly concurrency: number;
  readonly maxQueueSize: number;
  readonly maxTextChars: number;
  readonly heartbeatIntervalS: number;
  readonly sentenceSilenceS: number;
  /** '' = make a temporary directory at start-up. */
  readonly filesDir: string;
  readonly maxFiles: number;
  readonly fileTtlS: number;
  readonly rootPath: string;
  readonly tracesExporter: readonly (typeof TRACES_EXPORTERS)[number][];
}

export class ConfigError extends Error {
  readonly code = 'TTS_WORKER_ERR_CONFIG';
}

/** Where scripts/setup-voice.sh puts the default voice (same cache rule as scripts/lib.sh). */
export function defaultVoicePath(env: NodeJS.ProcessEnv): string {
  const cache = env.TTS_TRACE_PROXY_CACHE || join(homedir(), '.cache', 'tts-trace-proxy');
  return join(cache, 'voices', 'en_US-joe-medium.onnx');
}

// Options whose default depends on the machine or on another option.
const COMPUTED = new Set(['voice', 'workers', 'threads', 'concurrency']);

export function loadConfig(
  flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv, cores = availableParallelism(),
): WorkerConfig {
  const out = readOptions(OPTIONS, flags, env, {
    skip: (spec, raw) => raw === '' && COMPUTED.has(spec.key),
    fail: (message) => new ConfigError(message),
  });
  out.voiceIsDefault = out.voice === undefined;
  out.voice ??= defaultVoicePath(env);
  out.workers ??= cores;
  // Workers x intra-op threads = cores: more would have the threads fight over the same cores.
  out.threads ??= Math.max(1, Math.floor(cores / (out.workers as number)));
  out.concurrency ??= out.workers;
  out.rootPath = (out.rootPath as string).replace(/\/+$/, '');
  return deepFreeze(out as unknown as WorkerConfig);
}

export function helpText(): string {
  return optionsHelp([
    'Usage: tts-worker [options]',
    '',
    'A Piper text-to-speech worker (onnxruntime-node, worker threads) behind a Gradio-compatible',
    'API (sse_v3 under /gradio_api) that continues propagated traces and exports them to Zipkin.',
    'Flags override environment variables, which override defaults.',
    '',
  ], OPTIONS, (o) => (o.default === '' ? (COMPUTED.has(o.key) ? '(computed, see above)' : '(empty)') : o.default));
}
