// Child-process script: the baseline "what does http-proxy itself cost" target. It is the same
// library and the same keep-alive agent as the tracing proxy, and nothing else (no tracing, no
// metrics, no access log), so traced-vs-plain isolates what our code adds on top of http-proxy.
// usage: node dist/bench/plain-proxy.js --upstream URL --port N
import httpProxy from 'http-proxy';
import { Agent, createServer } from 'node:http';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) throw new Error(`missing ${name}`);
  return v;
}

// The options the tracing proxy gives http-proxy (server.ts), so that the comparison is like for like.
const proxy = httpProxy.createProxyServer({
  target: arg('--upstream'),
  // Without an agent http-proxy sends `Connection: close` and opens a socket per request.
  agent: new Agent({ keepAlive: true, maxSockets: Infinity }),
  xfwd: true,
  preserveHeaderKeyCase: true,
});
// http-proxy throws on an unhandled 'error' event; a 502 keeps the process (and the run) alive.
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});

const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 65_000;
server.listen(Number(arg('--port')), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
