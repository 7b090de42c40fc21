// A tiny app for sampling and export tests, driven by the query string: `?status=500`,
// `?delay=400` (ms). It records the trace headers it was sent, to check what the app was told.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestApp {
  readonly url: string;
  readonly server: Server;
  /** Trace headers of each request, by the proxy's trace id (from traceparent). */
  readonly seen: Map<string, IncomingHttpHeaders>;
  close(): Promise<void>;
}

export async function startTestApp(): Promise<TestApp> {
  const seen = new Map<string, IncomingHttpHeaders>();
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(req.headers.traceparent ?? ''))?.[1];
    if (traceId && seen.size < 100_000) seen.set(traceId, { traceparent: req.headers.traceparent, tracestate: req.headers.tracestate, 'x-b3-sampled': req.headers['x-b3-sampled'], 'x-b3-flags': req.headers['x-b3-flags'], b3: req.headers.b3 });
    const status = Number(q.get('status') ?? 200);
    const delay = Number(q.get('delay') ?? 0);
    req.resume();
    req.on('end', () => {
      const answer = () => res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
