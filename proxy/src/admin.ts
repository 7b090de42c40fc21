import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';

export interface AdminState {
  draining: boolean;
}

/** /healthz and /metrics on a separate port: never routed through nginx (design §1). */
export function buildAdminServer(metrics: Metrics, state: AdminState): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const code = state.draining ? 503 : 200;
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ status: state.draining ? 'draining' : 'ok' }));
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
  });
}
