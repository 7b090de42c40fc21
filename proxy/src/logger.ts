import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/** Diagnostic logs: JSON lines on stderr, never containing payloads. */
export function makeLogger(minLevel: Level, out: Writable = process.stderr): Logger {
  const min = LEVELS[minLevel];
  return {
    log(level, msg, fields) {
      if (LEVELS[level] < min) return;
      out.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
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
