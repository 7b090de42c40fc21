// GET /gradio_api/heartbeat/<session_hash> (Gradio 4.25+): `data: ALIVE` at once and then every
// heartbeat interval, until the client goes away. The Python client opens it when /config says
// connect_heartbeat; this app has no per-session state, so a disconnect needs no cleanup.
import type { ServerResponse } from 'node:http';
import { openSse } from './sse.js';

const ALIVE = 'data: ALIVE\n\n';

export function serveHeartbeat(res: ServerResponse, intervalMs: number): void {
  openSse(res);
  res.write(ALIVE);
  const timer = setInterval(() => res.write(ALIVE), intervalMs);
  res.on('close', () => clearInterval(timer));
}
