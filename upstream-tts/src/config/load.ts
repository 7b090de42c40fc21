// Precedence: defaults < environment < command-line flags. Parsed once at start-up, then frozen;
// nothing else in upstream-tts reads process.env.
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { convertValue, parseResourceAttributes, type Address, type TraceSettings } from '../../../proxy/src/config/load.js';
import type { ExecutionProviderMode } from '../pool/execution-provider.js';
import { OPTIONS, type OptionSpec, type TRACES_EXPORTERS } from './schema.js';

export type { Address } from '../../../proxy/src/config/load.js';

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

// Value conversion (types, ranges, choices) is the proxy's, so both CLIs say the same things.
function convert(spec: OptionSpec, raw: string): unknown {
  return convertValue(spec, raw, (message) => new ConfigError(message));
}

// Options whose default depends on the machine or on another option.
const COMPUTED = new Set(['voice', 'workers', 'threads', 'concurrency']);

export function loadConfig(
  flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv, cores = availableParallelism(),
): WorkerConfig {
  const known = new Set(OPTIONS.map((o) => o.flag).filter(Boolean));
  for (const f of Object.keys(flags)) if (!known.has(f)) throw new ConfigError(`unknown option ${f} (see --help)`);
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    let raw = spec.default;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') raw = fromEnv;
    if (spec.flag && flags[spec.flag] !== undefined) raw = flags[spec.flag]!;
    if (raw === '' && COMPUTED.has(spec.key)) continue;
    try {
      out[spec.key] = spec.key === 'resourceAttributes' ? parseResourceAttributes(raw) : convert(spec, raw);
    } catch (err) {
      throw err instanceof ConfigError ? err : new ConfigError((err as Error).message);
    }
  }
  out.voiceIsDefault = out.voice === undefined;
  out.voice ??= defaultVoicePath(env);
  out.workers ??= cores;
  // Workers x intra-op threads = cores: more would have the threads fight over the same cores.
  out.threads ??= Math.max(1, Math.floor(cores / (out.workers as number)));
  out.concurrency ??= out.workers;
  out.rootPath = (out.rootPath as string).replace(/\/+$/, '');
  Object.freeze(out.listen);
  Object.freeze(out.resourceAttributes);
  Object.freeze(out.tracesExporter);
  Object.freeze(out.propagators);
  return Object.freeze(out as unknown as WorkerConfig);
}

export function helpText(): string {
  const lines = [
    'Usage: tts-worker [options]',
    '',
    'A Piper text-to-speech worker (onnxruntime-node, worker threads) behind a Gradio-compatible',
    'API (sse_v3 under /gradio_api) that continues propagated traces and exports them to Zipkin.',
    'Flags override environment variables, which override defaults.',
    '',
  ];
  for (const o of OPTIONS) {
    const names = [o.flag, o.env ? `$${o.env}` : undefined].filter(Boolean).join(', ');
    lines.push(`  ${names}`);
    lines.push(`      ${o.description}`);
    const dflt = o.default === '' ? (COMPUTED.has(o.key) ? '(computed, see above)' : '(empty)') : o.default;
    lines.push(`      default: ${dflt}${o.choices ? `; one of: ${o.choices.join(', ')}` : ''}`);
  }
  lines.push('  --help     print this text', '  --version  print the version');
  return lines.join('\n');
}
