// Precedence: defaults < environment < command-line flags (common/config/options.ts). Parsed once
// at start-up, then frozen.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import {
  convertValue, deepFreeze, describe, optionsHelp, parseAddress, readOptions,
  type Address, type OptionSpec, type TraceSettings,
} from '../../../common/config/options.js';
import { parseArms, type Arm } from '../canary.js';
import { parseTrustedProxies } from '../client-address.js';
import { spanLimitsFrom, type ResolvedSpanLimits } from './span-limits.js';
import { OPTIONS, type LOG_FORMATS, type OTLP_PROTOCOLS, type SAMPLERS, type TRACES_EXPORTERS } from './schema.js';

export type { Address } from '../../../common/config/options.js';
/** A unix-domain socket listener (`unix:/path`). */
export interface SocketAddress { readonly socket: string }

export interface ProxyConfig extends TraceSettings {
  readonly upstreamVersion: string;
  readonly spanFile: string;
  /** Never empty: without --arm, the single arm `stable` on --upstream. */
  readonly arms: readonly Arm[];
  readonly armsFile: string;
  readonly canaryHeader: string;
  readonly canaryCookie: string;
  readonly canaryCookieMaxAgeS: number;
  readonly upstream: URL;
  readonly listen: Address;
  readonly admin: Address | SocketAddress;
  readonly tracesExporter: readonly (typeof TRACES_EXPORTERS)[number][];
  readonly otlpEndpoint: URL;
  /** Empty: derived from otlpEndpoint (see otlpTracesUrl). */
  readonly otlpTracesEndpoint: string;
  readonly otlpProtocol: (typeof OTLP_PROTOCOLS)[number];
  readonly otlpTracesProtocol: '' | (typeof OTLP_PROTOCOLS)[number];
  readonly otlpHeaders: Readonly<Record<string, string>>;
  readonly otlpCompression: 'none' | 'gzip';
  /** 0: the batch export timeout. */
  readonly otlpTimeoutMs: number;
  readonly zipkinTimeoutMs: number;
  readonly tracesSampler: (typeof SAMPLERS)[number];
  readonly tracesSamplerArg: number;
  readonly tailSlowMs: number;
  readonly tailMaxWaitMs: number;
  readonly tailMaxTraces: number;
  readonly tailMaxSpans: number;
  readonly tailMaxSpansPerTrace: number;
  readonly tailKeepMaxPerSecond: number;
  readonly debugToken: string;
  readonly forceB3Debug: boolean;
  readonly forceMaxPerSecond: number;
  readonly exportRetryInitialMs: number;
  readonly exportRetryMaxMs: number;
  readonly exportMaxAttempts: number;
  readonly spoolDir: string;
  readonly spoolMaxBytes: number;
  readonly upstreamIdleTimeoutMs: number;
  readonly upstreamKeepaliveTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly accessLog: string;
  readonly logFormat: (typeof LOG_FORMATS)[number];
  readonly gradio: boolean;
  readonly uiTraceBadge: boolean;
  /** Empty, or an http(s) URL with {trace_id}. */
  readonly traceUrlTemplate: string;
  readonly sessionKey: string;
  readonly probeOutputs: boolean;
  readonly predictionTtlMs: number;
  readonly maxPredictions: number;
  readonly maxPredictionsPerSession: number;
  readonly maxFiles: number;
  readonly ruleMaxAudioS: number;
  readonly ruleMaxTextChars: number;
  readonly gate: boolean;
  readonly gateMaxBodyBytes: number;
  readonly adminToken: string;
  /** Validated addresses and CIDR ranges (see client-address.ts). */
  readonly trustedProxies: readonly string[];
  readonly debugTokenGuessesPerMin: number;
  /** Test only: guard sites whose hooks throw first (see guard.ts). */
  readonly faultInject: readonly string[];
  /** The OpenTelemetry span limits (OTEL_SPAN_*_LIMIT, OTEL_ATTRIBUTE_*_LIMIT), read as the SDK reads them. */
  readonly spanLimits: ResolvedSpanLimits;
}

function readArmsFile(path: string): Arm[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--arms-file ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`--arms-file ${path}: expected a JSON array of arms`);
  const spec = parsed.map((a: { name?: unknown; version?: unknown; weight?: unknown; replicas?: unknown }) =>
    `${String(a.name)}=${String(a.version)}:${String(a.weight)}:${Array.isArray(a.replicas) ? a.replicas.join(',') : ''}`).join(';');
  try {
    return parseArms(spec);
  } catch (err) {
    throw new ConfigError(`--arms-file ${path}: ${(err as Error).message}`);
  }
}

export class ConfigError extends Error {
  readonly code = 'TTS_PROXY_ERR_CONFIG';
}

/** Options whose raw text needs more than their type's conversion. */
const CUSTOM: Readonly<Record<string, (raw: string, spec: OptionSpec) => unknown>> = {
  arms: (raw) => {
    try {
      return parseArms(raw);
    } catch (err) {
      throw new ConfigError(`--arm / TTS_PROXY_ARMS: ${(err as Error).message}`);
    }
  },
  canaryHeader: (raw) => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) throw new ConfigError(`--canary-header: "${raw}" is not a header name`);
    return raw.toLowerCase();
  },
  canaryCookie: (raw) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new ConfigError(`--canary-cookie: "${raw}" is not a cookie name`);
    return raw;
  },
  admin: (raw, spec) => {
    if (!raw.startsWith('unix:')) return parseAddress(raw, spec);
    const path = raw.slice('unix:'.length);
    if (!path) throw new ConfigError(`${describe(spec)}: unix: needs a socket path`);
    return { socket: resolvePath(path) };
  },
  trustedProxies: (raw, spec) => {
    try {
      return parseTrustedProxies(raw);
    } catch (err) {
      throw new ConfigError(`${describe(spec)}: ${(err as Error).message}`);
    }
  },
  traceUrlTemplate: (raw, spec) => {
    if (raw === '') return '';
    if (!/^https?:\/\/[^\s"'<>]+$/.test(raw) || !raw.includes('{trace_id}')) {
      throw new ConfigError(`${describe(spec)}: "${raw}" must be an http(s) URL containing {trace_id}`);
    }
    return raw;
  },
  otlpTracesEndpoint: (raw, spec) => (raw === '' ? '' : (convertValue({ ...spec, type: 'url' }, raw) as URL).href),
};

/** Where OTLP spans go: the traces endpoint as given, else `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` (OTLP exporter spec). */
export function otlpTracesUrl(c: Pick<ProxyConfig, 'otlpEndpoint' | 'otlpTracesEndpoint'>): URL {
  if (c.otlpTracesEndpoint) return new URL(c.otlpTracesEndpoint);
  const base = c.otlpEndpoint.href.endsWith('/') ? c.otlpEndpoint.href : `${c.otlpEndpoint.href}/`;
  return new URL('v1/traces', base);
}

export function loadConfig(flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): ProxyConfig {
  const out = readOptions(OPTIONS, flags, env, {
    convert: (spec, raw) => CUSTOM[spec.key]?.(raw, spec) ?? convertValue(spec, raw),
    fail: (message) => new ConfigError(message),
  });
  if (!(out.arms as Arm[]).length && out.armsFile) out.arms = readArmsFile(out.armsFile as string);
  // No arms: one arm, the plain --upstream, so every request still has an arm and version.
  if (!(out.arms as Arm[]).length) out.arms = [{ name: 'stable', version: out.upstreamVersion as string, weight: 100, replicas: [out.upstream as URL] }];
  out.spanLimits = spanLimitsFrom(env);
  return deepFreeze(out as unknown as ProxyConfig);
}

export function helpText(): string {
  return optionsHelp([
    'Usage: tts-trace-proxy [options]',
    '       tts-trace-proxy report --zipkin URL --since 1h [options]   (per-arm comparison; report --help)',
    '',
    'A tracing reverse proxy for unmodified Gradio apps: W3C/B3 propagation, one span per request,',
    'spans exported to Zipkin. Flags override environment variables, which override defaults.',
    '',
  ], OPTIONS);
}
