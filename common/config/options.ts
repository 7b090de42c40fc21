// How the proxy and the worker declare, read and document their options: one declaration format,
// one precedence rule (defaults < environment < flags), one value conversion, and the OTEL_*
// options both read with the same meaning. Each program keeps its own table and its own error
// class; nothing here reads process.env itself.
import { resolve as resolvePath } from 'node:path';

export type OptionType = 'string' | 'path' | 'url' | 'address' | 'int' | 'number' | 'list' | 'enum' | 'bool' | 'pairs';

export interface OptionSpec {
  readonly key: string;
  readonly type: OptionType;
  /** Default as text; `''` may mean "computed at load time" where the option says so. */
  readonly default: string;
  readonly description: string;
  readonly flag?: string;
  readonly env?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

/** The part of a declaration that converting a value needs. */
export type ValueSpec = Pick<OptionSpec, 'type' | 'flag' | 'env' | 'choices' | 'min' | 'max'>;

export const PROPAGATORS = ['tracecontext', 'b3', 'b3multi', 'baggage', 'none'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export interface Address { readonly host: string; readonly port: number }

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

export interface TraceOptionsFor {
  /** `service.name` when OTEL_SERVICE_NAME is unset. */
  readonly serviceName: string;
  /** Environment variable of the diagnostic log level (each program has its own prefix). */
  readonly logLevelEnv: string;
}

/** The declarations of TraceSettings; OTEL_TRACES_EXPORTER differs per program (its exporters). */
export function traceOptions(p: TraceOptionsFor): OptionSpec[] {
  return [
    { key: 'serviceName', type: 'string', env: 'OTEL_SERVICE_NAME', default: p.serviceName,
      description: 'service.name of the exported spans.' },
    { key: 'resourceAttributes', type: 'pairs', env: 'OTEL_RESOURCE_ATTRIBUTES', default: '',
      description: 'Extra resource attributes, key=value pairs separated by commas (values percent-encoded).' },
    { key: 'zipkinEndpoint', type: 'url', env: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', default: 'http://localhost:9411/api/v2/spans',
      description: 'Zipkin v2 JSON span endpoint.' },
    { key: 'propagators', type: 'list', env: 'OTEL_PROPAGATORS', default: 'tracecontext,b3,b3multi', choices: PROPAGATORS,
      description: 'Inbound context formats, in the order they are tried.' },
    { key: 'bspScheduleDelayMs', type: 'int', env: 'OTEL_BSP_SCHEDULE_DELAY', default: '1000', min: 0, max: 600000,
      description: 'Delay between two span exports, in ms.' },
    // Above the spec's 2048: the proxy sees every request of a page load, dozens per user.
    { key: 'bspMaxQueueSize', type: 'int', env: 'OTEL_BSP_MAX_QUEUE_SIZE', default: '8192', min: 1, max: 1000000,
      description: 'Spans kept waiting for export; beyond this new spans are dropped (counted).' },
    { key: 'bspMaxExportBatchSize', type: 'int', env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', min: 1, max: 100000,
      description: 'Spans sent in one export call.' },
    { key: 'bspExportTimeoutMs', type: 'int', env: 'OTEL_BSP_EXPORT_TIMEOUT', default: '10000', min: 1, max: 600000,
      description: 'Time one export call may take, in ms.' },
    { key: 'logLevel', type: 'enum', flag: '--log-level', env: p.logLevelEnv, default: 'info', choices: LOG_LEVELS,
      description: 'Level of diagnostic logs (on stderr).' },
  ];
}

/** A value that does not convert; each program turns it into its own error class. */
export class OptionError extends Error {
  readonly code = 'TTS_ERR_OPTION';
}

export function describe(spec: ValueSpec): string {
  return [spec.flag, spec.env].filter(Boolean).join(' / ');
}

export function parseAddress(raw: string, spec: ValueSpec): Address {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw) ?? /^()()(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new OptionError(`${describe(spec)}: expected host:port, got "${raw}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS per the OTel spec: comma-separated
// key=value, values percent-encoded.
export function parseResourceAttributes(raw: string, name = 'OTEL_RESOURCE_ATTRIBUTES'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new OptionError(`${name}: "${pair}" is not key=value`);
    try {
      out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new OptionError(`${name}: bad percent-encoding in "${pair}"`);
    }
  }
  return out;
}

/** Turns a raw flag/env value into its typed form, or throws an OptionError naming the option. */
export function convertValue(spec: ValueSpec, raw: string): unknown {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'path':
      return raw === '' ? '' : resolvePath(raw);
    case 'url': {
      let u: URL;
      try { u = new URL(raw); } catch { throw new OptionError(`${describe(spec)}: not a URL: "${raw}"`); }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OptionError(`${describe(spec)}: only http(s) URLs are supported`);
      return u;
    }
    case 'address':
      return parseAddress(raw, spec);
    case 'pairs':
      return parseResourceAttributes(raw, describe(spec));
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) {
        throw new OptionError(`${describe(spec)}: expected a${spec.type === 'int' ? 'n integer' : ' number'}, got "${raw}"`);
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new OptionError(`${describe(spec)}: ${n} is outside [${spec.min}, ${spec.max}]`);
      }
      return n;
    }
    case 'enum':
      if (!spec.choices!.includes(raw)) throw new OptionError(`${describe(spec)}: "${raw}" is not one of ${spec.choices!.join(', ')}`);
      return raw;
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const item of items) {
        if (!spec.choices!.includes(item)) throw new OptionError(`${describe(spec)}: "${item}" is not one of ${spec.choices!.join(', ')}`);
      }
      return [...new Set(items)].filter((i) => i !== 'none' || items.length === 1);
    }
    case 'bool':
      if (!['true', 'false', '1', '0'].includes(raw)) throw new OptionError(`${describe(spec)}: expected true or false`);
      return raw === 'true' || raw === '1';
  }
}

export interface ReadOptions {
  /** The typed value of one option (default: convertValue). */
  readonly convert?: (spec: OptionSpec, raw: string) => unknown;
  /** Leave an option out (its default is computed later by the caller). */
  readonly skip?: (spec: OptionSpec, raw: string) => boolean;
  /** The program's own error for a bad value or an unknown flag. */
  readonly fail: (message: string) => Error;
}

/** Defaults < environment < flags, each value converted once. An empty variable counts as unset. */
export function readOptions(
  options: readonly OptionSpec[], flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv, o: ReadOptions,
): Record<string, unknown> {
  const known = new Set(options.map((s) => s.flag).filter(Boolean));
  for (const f of Object.keys(flags)) if (!known.has(f)) throw o.fail(`unknown option ${f} (see --help)`);
  const out: Record<string, unknown> = {};
  for (const spec of options) {
    let raw = spec.default;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') raw = fromEnv;
    if (spec.flag && flags[spec.flag] !== undefined) raw = flags[spec.flag]!;
    if (o.skip?.(spec, raw)) continue;
    try {
      out[spec.key] = (o.convert ?? convertValue)(spec, raw);
    } catch (err) {
      throw err instanceof OptionError ? o.fail(err.message) : err;
    }
  }
  return out;
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !(o instanceof URL)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** `--help` text: the header, then every option with its flag, variable, description and default. */
export function optionsHelp(header: readonly string[], options: readonly OptionSpec[], defaultText: (o: OptionSpec) => string = (o) => o.default || '(empty)'): string {
  const lines = [...header];
  for (const o of options) {
    lines.push(`  ${[o.flag, o.env ? `$${o.env}` : undefined].filter(Boolean).join(', ')}`);
    lines.push(`      ${o.description}`);
    lines.push(`      default: ${defaultText(o)}${o.choices ? `; one of: ${o.choices.join(', ')}` : ''}`);
  }
  lines.push('  --help     print this text', '  --version  print the version');
  return lines.join('\n');
}
