#!/usr/bin/env -S node --max-old-space-size=2048 --heap-growing-percent=100 --initial-old-space-size=64
// Entry point: parse config once, build, listen; SIGTERM/SIGINT drain, flush and exit 0.
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { parseArgs } from '../../common/cli.js';
import { ConfigError, helpText, loadConfig, type Address, type SocketAddress } from './config/load.js';
import { REPEATABLE_FLAGS } from './config/schema.js';
import { buildProxy } from './server.js';

function listen(server: Server, addr: Address | SocketAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => { server.off('error', reject); resolve(); };
    if ('socket' in addr) {
      // A socket left by a previous run would make listen fail with EADDRINUSE; anything else
      // at that path is not ours to delete.
      if (lstatSync(addr.socket, { throwIfNoEntry: false })?.isSocket()) rmSync(addr.socket);
      server.listen(addr.socket, done);
    } else {
      server.listen(addr.port, addr.host, done);
    }
  });
}

const show = (a: Address | SocketAddress) => ('socket' in a ? `unix:${a.socket}` : `${a.host}:${a.port}`);

/** Where `server` really listens: with port 0 the system chose the port, and the log says which. */
function bound(server: Server, a: Address | SocketAddress): string {
  const at = server.address();
  if (!at || typeof at !== 'object') return show(a);
  return at.family === 'IPv6' ? `[${at.address}]:${at.port}` : `${at.address}:${at.port}`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  // Subcommand: `report` reads traces back from Zipkin (proxy/src/report/); loaded only when asked.
  if (process.argv[2] === 'report') return (await import('./report/cli.js')).runReport(process.argv.slice(3));
  let args;
  let config;
  try {
    args = parseArgs(process.argv.slice(2), REPEATABLE_FLAGS);
    if (args.switches.has('--help')) { process.stdout.write(helpText() + '\n'); return 0; }
    if (args.switches.has('--version')) { process.stdout.write(version() + '\n'); return 0; }
    if (args.positional.length) throw new ConfigError(`unexpected argument "${args.positional[0]}" (see --help)`);
    config = loadConfig(args.flags, process.env);
  } catch (err) {
    process.stderr.write(`tts-trace-proxy: ${(err as Error).message}\n`);
    return 2;
  }
  const app = buildProxy(config);
  try {
    await listen(app.server, config.listen);
    await listen(app.admin, config.admin);
  } catch (err) {
    app.logger.log('error', 'cannot listen', { code: (err as NodeJS.ErrnoException).code, message: (err as Error).message });
    return 1;
  }
  app.logger.log('info', 'listening', {
    listen: bound(app.server, config.listen), admin: bound(app.admin, config.admin),
    upstream: config.upstream.origin, exporters: config.tracesExporter, propagators: config.propagators,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.log('info', 'shutting down', { signal, deadline_ms: config.shutdownTimeoutMs });
    app.shutdown(config.shutdownTimeoutMs).then(
      () => { app.logger.log('info', 'stopped'); process.exit(0); },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}

main().then((code) => { if (code >= 0) process.exit(code); });
