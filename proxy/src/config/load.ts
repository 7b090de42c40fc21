import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseArms, type Arm } from '../canary.js';
import { parseTrustedProxies } from '../client-address.js';
// Precedence: defaults < environment < command-line flags. Parsed once at start-up, then frozen.
import {
  OPTIONS, type OptionSpec, type LOG_FORMATS, type LOG_LEVELS, type OTLP_PROTOCOLS, type PROPAGATORS, type SAMPLERS, type TRACES_EXPORTERS,
} from './schema.js';

export interface Address { readonly host: string; readonly port: number }
/** A unix-domain socket listener (`unix:/path`). */
export interface SocketAddress { readonly socket: string }

/** The OTel settings the proxy and the worker both read (same variables, same meaning). */
export interface TraceSettings {
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly zipkinEndpoint: URL;
  readonly propagators: readonly (typeof PROPAGATORS)[number][];
  readonly bspScheduleDelayMs: number;
  readonly bspMaxQueueSize: number;
  readonly bspMaxExportBatchSize: number;
  readonly bspExportTimeoutMs: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

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
  readonly tracesSampler: (typeof SAMPLERS)[number];
  readonly tracesSamplerArg: number;
  readonly tailSlowMs: number;
  readonly tailMaxWaitMs: number;
  readonly tailMaxTraces: number;
  readonly tailMaxSpans: number;
  readonly tailMaxSpansPerTrace: number;
  readonly debugToken: string;
  readonly forceB3Debug: boolean;
  readonly forceMaxPerSecond: number;
  readonly exportRetryInitialMs: number;
  readonly exportRetryMaxMs: number;
  readonly exportMaxAttempts: number;
  readonly spoolDir: string;
  readonly spoolMaxBytes: number;
  readonly upstreamIdleTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly accessLog: string;
  readonly logFormat: (typeof LOG_FORMATS)[number];
  readonly gradio: boolean;
  readonly sessionKey: string;
  readonly probeOutputs: boolean;
  readonly predictionTtlMs: number;
  readonly maxPredictions: number;
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

function parseAddress(raw: string, spec: ValueSpec): Address {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw) ?? /^()()(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${describe(spec)}: expected host:port, got "${raw}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function describe(spec: ValueSpec): string {
  return [spec.flag, spec.env].filter(Boolean).join(' / ');
}

// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS per the OTel spec: comma-separated
// key=value, values percent-encoded.
export function parseResourceAttributes(raw: string, name = 'OTEL_RESOURCE_ATTRIBUTES'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${name}: "${pair}" is not key=value`);
    try {
      out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(`${name}: bad percent-encoding in "${pair}"`);
    }
  }
  return out;
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
  resourceAttributes: (raw) => parseResourceAttributes(raw),
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
  otlpHeaders: (raw, spec) => parseResourceAttributes(raw, spec.env),
  otlpTracesEndpoint: (raw, spec) => (raw === '' ? '' : (convert({ ...spec, type: 'url' }, raw) as URL).href),
};

/** Where OTLP spans go: the traces endpoint as given, else `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` (OTLP exporter spec). */
export function otlpTracesUrl(c: Pick<ProxyConfig, 'otlpEndpoint' | 'otlpTracesEndpoint'>): URL {
  if (c.otlpTracesEndpoint) return new URL(c.otlpTracesEndpoint);
  const base = c.otlpEndpoint.href.endsWith('/') ? c.otlpEndpoint.href : `${c.otlpEndpoint.href}/`;
  return new URL('v1/traces', base);
}

/** The part of an option's declaration that converting its value needs (shared with upstream-tts). */
export interface ValueSpec {
  readonly type: string;
  readonly flag?: string;
  readonly env?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

/** Turns a raw flag/env value into its typed form, or throws `fail(message)` naming the option. */
export function convertValue(spec: ValueSpec, raw: string, fail: (message: string) => Error = (m) => new ConfigError(m)): unknown {
  try {
    return convert(spec, raw);
  } catch (err) {
    throw err instanceof ConfigError ? fail(err.message) : err;
  }
}

function convert(spec: ValueSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'path':
      return raw === '' ? '' : resolvePath(raw);
    case 'url': {
      let u: URL;
      try { u = new URL(raw); } catch { throw new ConfigError(`${describe(spec)}: not a URL: "${raw}"`); }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${describe(spec)}: only http(s) URLs are supported`);
      return u;
    }
    case 'address':
      return parseAddress(raw, spec);
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(`${describe(spec)}: expected a${spec.type === 'int' ? 'n integer' : ' number'}, got "${raw}"`);
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ConfigError(`${describe(spec)}: ${n} is outside [${spec.min}, ${spec.max}]`);
      }
      return n;
    }
    case 'enum':
      if (!spec.choices!.includes(raw)) throw new ConfigError(`${describe(spec)}: "${raw}" is not one of ${spec.choices!.join(', ')}`);
      return raw;
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of items) {
        if (!spec.choices!.includes(item)) throw new ConfigError(`${describe(spec)}: "${item}" is not one of ${spec.choices!.join(', ')}`);
      }
      return [...new Set(items)].filter((i) => i !== 'none' || items.length === 1);
    }
    case 'bool':
      if (!['true', 'false', '1', '0'].includes(raw)) throw new ConfigError(`${describe(spec)}: expected true or false`);
      return raw === 'true' || raw === '1';
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !(o instanceof URL)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export function loadConfig(flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): ProxyConfig {
  const known = new Set(OPTIONS.map((o) => o.flag).filter(Boolean));
  for (const f of Object.keys(flags)) if (!known.has(f)) throw new ConfigError(`unknown option ${f} (see --help)`);
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    let raw = spec.default;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') raw = fromEnv;
    if (spec.flag && flags[spec.flag] !== undefined) raw = flags[spec.flag]!;
    const custom = CUSTOM[spec.key];
    out[spec.key] = custom ? custom(raw, spec) : convert(spec, raw);
  }
  if (!(out.arms as Arm[]).length && out.armsFile) out.arms = readArmsFile(out.armsFile as string);
  // No arms: one arm, the plain --upstream, so every request still has an arm and version.
  if (!(out.arms as Arm[]).length) out.arms = [{ name: 'stable', version: out.upstreamVersion as string, weight: 100, replicas: [out.upstream as URL] }];
  return deepFreeze(out as unknown as ProxyConfig);
}

export function helpText(): string {
  const lines = [
    'Usage: tts-trace-proxy [options]',
    '       tts-trace-proxy report --zipkin URL --since 1h [options]   (per-arm comparison; report --help)',
    '',
    'A tracing reverse proxy for unmodified Gradio apps: W3C/B3 propagation, one span per request,',
    'spans exported to Zipkin. Flags override environment variables, which override defaults.',
    '',
  ];
  for (const o of OPTIONS) {
    const names = [o.flag, o.env ? `$${o.env}` : undefined].filter(Boolean).join(', ');
    lines.push(`  ${names}`);
    lines.push(`      ${o.description}`);
    lines.push(`      default: ${o.default === '' ? '(empty)' : o.default}${o.choices ? `; one of: ${o.choices.join(', ')}` : ''}`);
  }
  lines.push('  --help     print this text', '  --version  print the version');
  return lines.join('\n');
}
