import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;
export type LogFormat = 'json' | 'text';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return s === '' || /[\s="\\]/.test(s) ? JSON.stringify(s) : s;
}

/**
 * One record per line: a JSON object, or logfmt (`key=value`, quoted when needed) for people
 * reading a terminal. Fields that are undefined are left out in both.
 */
export function formatRecord(format: LogFormat, record: Record<string, unknown>): string {
  if (format === 'json') return JSON.stringify(record);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(record)) if (v !== undefined) parts.push(`${k}=${logfmtValue(v)}`);
  return parts.join(' ');
}

/** Diagnostic logs on stderr, never containing payloads. */
export function makeLogger(minLevel: Level, out: Writable = process.stderr, format: LogFormat = 'json'): Logger {
  const min = LEVELS[minLevel];
  return {
    log(level, msg, fields) {
      if (LEVELS[level] < min) return;
      out.write(formatRecord(format, { time: new Date().toISOString(), level, msg, ...fields }) + '\n');
    },
  };
}

/** Destination of the access log: stdout, stderr, a file (appended), or nothing. */
export function openSink(target: string): Writable | undefined {
  if (target === 'off') return undefined;
  if (target === 'stdout') return process.stdout;
  if (target === 'stderr') return process.stderr;
  return createWriteStream(target, { flags: 'a' });
}
