// Answers a request the proxy will not forward (see request-checks.ts) and closes the connection:
// after a framing error nothing else on the socket can be trusted, which is also what nginx does.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, type OpenMetricsContentType, type Registry } from 'prom-client';
import { answerJsonOnSocket } from './error-answer.js';
import type { Refusal } from './request-checks.js';

export interface Refuser {
  /** Through Node's response: it frames the answer and closes the socket after it. */
  respond(res: ServerResponse, refusal: Refusal): void;
  /** On a bare socket (CONNECT, an upgrade), where there is no response object. */
  onSocket(socket: Duplex, refusal: Refusal): void;
}

export function makeRefuser(registry: Registry<OpenMetricsContentType>): Refuser {
  const refused = new Counter({
    name: 'tts_proxy_requests_refused_total',
    help: 'Requests answered by the proxy itself and never forwarded, by reason (malformed or unsupported HTTP framing).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const valueOf = (r: Refusal) => ({ error: r.message, error_type: r.reason });
  return {
    respond(res, refusal) {
      refused.inc({ reason: refusal.reason });
      const body = Buffer.from(JSON.stringify(valueOf(refusal)));
      // The answer is the connection's last: Node closes it after the answer, the lingering way
      // (linger.ts, `lingerOnLastAnswer`).
      res.shouldKeepAlive = false;
      res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' });
      res.end(body);
    },
    onSocket(socket, refusal) {
      refused.inc({ reason: refusal.reason });
      answerJsonOnSocket(socket, refusal.status, valueOf(refusal));
    },
  };
}
