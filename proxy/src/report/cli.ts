// `tts-trace-proxy report`: per-arm statistics read back from Zipkin. Argument parsing and wiring
// only; the work is in zipkin-query.ts (I/O), aggregate.ts and format.ts (pure).
import { parseArgs } from '../../../common/cli.js';
import { aggregate, DEFAULT_BASELINE, DEFAULT_MIN_SAMPLES } from './aggregate.js';
import { FORMATS, PERCENTILE_METHOD, render, type Format } from './format.js';
import { normalizeZipkinUrl, queryTraces, ZipkinQueryError } from './zipkin-query.js';

export class ReportUsageError extends Error {
  readonly code = 'TTS_REPORT_ERR_USAGE';
}

export interface ReportArgs {
  zipkin: string;
  service: string;
  startMs: number;
  endMs: number;
  format: Format;
  limit: number;
  baseline: string;
  /** Samples per side before a difference can be called significant. */
  minSamples: number;
}

export const DEFAULT_ZIPKIN = 'http://127.0.0.1:9411';
export const DEFAULT_SERVICE = 'tts-trace-proxy';
export const DEFAULT_LIMIT = 1000;

export const REPORT_HELP = `usage: tts-trace-proxy report [options]

Reads the proxy's traces back from Zipkin and prints, per upstream arm and version
(tts.upstream.arm, deployment.version): predictions, HTTP requests, error rate overall and by
error.type, p50/p95/p99 of queue wait, processing, time to first chunk, total and real-time
factor, and each arm's differences from the baseline arm.

  --zipkin URL        Zipkin base URL (default ${DEFAULT_ZIPKIN})
  --since WHEN        start of the window: a duration before --until (90s, 30m, 1h, 2d; default 1h)
                      or an ISO 8601 time
  --until WHEN        end of the window: now (default) or an ISO 8601 time
  --service NAME      service.name of the proxy's spans (default ${DEFAULT_SERVICE})
  --format FORMAT     table (default), markdown or json
  --limit N           traces per Zipkin query (default ${DEFAULT_LIMIT}); a window holding more is
                      read in smaller time slices
  --baseline ARM      arm the others are compared with (default ${DEFAULT_BASELINE}; else the first arm)
  --min-samples N     samples each side needs before a difference can be called significant
                      (default ${DEFAULT_MIN_SAMPLES})

Percentiles are ${PERCENTILE_METHOD} (the sample at rank ceil(p/100 * n)), over completed predictions.
Each difference from the baseline shows n per side, the Hodges-Lehmann shift with its 95% interval
and the Mann-Whitney p-value.
Exit status: 0 (also when the window holds no data), 1 Zipkin failed, 2 bad arguments.`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `1h`, `2d`, `1.5h` → milliseconds. */
export function parseDuration(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(raw);
  if (!m) throw new ReportUsageError(`--since: "${raw}" is neither a duration (90s, 30m, 1h, 2d) nor an ISO 8601 time`);
  const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!(ms > 0)) throw new ReportUsageError(`--since: "${raw}" must be longer than 0`);
  return ms;
}

function parseTime(flag: string, raw: string): number | undefined {
  // Only ISO-looking text: Date.parse accepts far too much ("1", "May").
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(raw.trim())) return undefined;
  const ms = Date.parse(raw.trim());
  if (!Number.isFinite(ms)) throw new ReportUsageError(`${flag}: "${raw}" is not a valid time`);
  return ms;
}

export function parseReportArgs(argv: readonly string[], now: number): ReportArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    throw new ReportUsageError((err as Error).message);
  }
  if (parsed.switches.has('--help')) return 'help';
  if (parsed.positional.length) throw new ReportUsageError(`unexpected argument "${parsed.positional[0]}" (see report --help)`);
  const known = new Set(['--zipkin', '--since', '--until', '--service', '--format', '--limit', '--baseline', '--min-samples']);
  for (const flag of Object.keys(parsed.flags)) {
    if (!known.has(flag)) throw new ReportUsageError(`unknown option ${flag} (see report --help)`);
  }
  const f = parsed.flags;

  const untilRaw = f['--until'] ?? 'now';
  const endMs = untilRaw.trim().toLowerCase() === 'now' ? now : parseTime('--until', untilRaw);
  if (endMs === undefined) throw new ReportUsageError(`--until: "${untilRaw}" is neither "now" nor an ISO 8601 time`);
  const sinceRaw = f['--since'] ?? '1h';
  const startMs = parseTime('--since', sinceRaw) ?? endMs - parseDuration(sinceRaw);
  if (startMs >= endMs) throw new ReportUsageError(`--since (${new Date(startMs).toISOString()}) must be before --until (${new Date(endMs).toISOString()})`);

  const format = (f['--format'] ?? 'table').toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) throw new ReportUsageError(`--format: "${f['--format']}" is not one of ${FORMATS.join(', ')}`);

  const limitRaw = f['--limit'] ?? String(DEFAULT_LIMIT);
  const limit = Number(limitRaw);
  if (!/^\d+$/.test(limitRaw.trim()) || limit < 1 || limit > 1_000_000) throw new ReportUsageError(`--limit: "${limitRaw}" must be an integer from 1 to 1000000`);

  const service = (f['--service'] ?? DEFAULT_SERVICE).trim();
  if (!service) throw new ReportUsageError('--service must not be empty');
  const baseline = (f['--baseline'] ?? DEFAULT_BASELINE).trim();
  if (!baseline) throw new ReportUsageError('--baseline must not be empty');
  const minRaw = (f['--min-samples'] ?? String(DEFAULT_MIN_SAMPLES)).trim();
  const minSamples = Number(minRaw);
  if (!/^\d+$/.test(minRaw) || minSamples < 1 || minSamples > 1_000_000) throw new ReportUsageError(`--min-samples: "${f['--min-samples']}" must be an integer from 1 to 1000000`);

  let zipkin: string;
  try {
    zipkin = normalizeZipkinUrl(f['--zipkin'] ?? DEFAULT_ZIPKIN);
  } catch (err) {
    throw new ReportUsageError((err as Error).message);
  }
  return { zipkin, service, startMs, endMs, format: format as Format, limit, baseline, minSamples };
}

export interface ReportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => number;
  fetch?: typeof fetch;
}

const defaultIo: ReportIo = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
};

/** Runs the subcommand (argv after `report`); resolves with the exit status. */
export async function runReport(argv: readonly string[], io: ReportIo = defaultIo): Promise<number> {
  let args;
  try {
    args = parseReportArgs(argv, (io.now ?? Date.now)());
  } catch (err) {
    io.stderr(`tts-trace-proxy report: ${(err as Error).message}\n`);
    return 2;
  }
  if (args === 'help') { io.stdout(REPORT_HELP + '\n'); return 0; }
  try {
    const result = await queryTraces({
      baseUrl: args.zipkin, serviceName: args.service, startMs: args.startMs, endMs: args.endMs, limit: args.limit, fetch: io.fetch,
    });
    const data = aggregate(result.traces, { service: args.service, baseline: args.baseline, minSamples: args.minSamples });
    io.stdout(render(data, {
      zipkin: args.zipkin, startMs: args.startMs, endMs: args.endMs, queries: result.queries, truncated: result.truncated,
    }, args.format));
    if (result.truncated) io.stderr('tts-trace-proxy report: warning: some traces may be missing (a 1 ms slice still filled a page); raise --limit\n');
    return 0;
  } catch (err) {
    if (err instanceof ZipkinQueryError) {
      io.stderr(`tts-trace-proxy report: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
