// A switchable front for a real Zipkin, for export-failure tests: `pass` forwards to Zipkin,
// `error500` answers 500 to every POST, `hang` accepts the request and never answers.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'pass' | 'error500' | 'hang';

export interface FaultProxy {
  readonly url: string;
  mode: FaultMode;
  /** Requests answered per mode (hang: requests held). */
  readonly counts: Record<FaultMode, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const fp = { mode: 'pass' as FaultMode, counts: { pass: 0, error500: 0, hang: 0 } };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const mode = fp.mode;
    fp.counts[mode]++;
    if (mode === 'hang') { req.resume(); return; }
    if (mode === 'error500') {
      req.resume();
      req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('storage unavailable'));
      return;
    }
    const up = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy(); });
    req.pipe(up);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(fp, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  });
}
