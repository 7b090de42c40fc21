// One websocket client of a case: writes the handshake (and, eager, its first frames right behind
// it), reads the 101, sends its frames in pieces, and ends or resets when its plan says, or waits
// for the app's end to reach it.
import { connect } from 'node:net';
import type { FuzzRequest, WsSession } from './model.js';
import { latin1, requestBytes, split, type ParsedMessage } from './wire.js';
import { parseHead, splitHead, WS_WAIT_MS } from './ws-upstream.js';

export interface WsResult {
  readonly id: string;
  /** The answer to the handshake, once its head was complete. */
  readonly head?: ParsedMessage;
  /** Bytes after the answer's head. */
  readonly got: Buffer;
  /** When the client ended or reset the connection by its plan. */
  readonly endedAt?: number;
  /** When its socket closed. */
  readonly closedAt?: number;
  /** The deadline passed before the socket closed. */
  readonly timedOut: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The handshake as a request of the HTTP model, so the request checks judge it like any other. */
export function handshakeRequest(s: WsSession): FuzzRequest {
  return {
    method: 'GET', target: s.path, version: '1.1', body: '', framing: 'none', chunks: 1, trailers: [], close: false, truncatedBy: 0, valid: true,
    headers: [['Host', 'fuzz.test'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ...s.headers],
  };
}

export function runWebsocket(s: WsSession, id: string, opts: { port: number; deadlineMs: number; closeGraceMs: number }): Promise<WsResult> {
  return new Promise((resolve) => {
    const socket = connect({ port: opts.port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const mine = split(latin1(s.clientBytes), s.clientPieces).filter((p) => p.length);
    const want = latin1(s.serverBytes).length;
    const incoming: Buffer[] = [];
    let head: ParsedMessage | undefined;
    const got: Buffer[] = [];
    let gotBytes = 0;
    const take = (b: Buffer) => { got.push(b); gotBytes += b.length; };
    let endedAt: number | undefined;
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ id, head, got: Buffer.concat(got), endedAt, closedAt: timedOut ? undefined : Date.now(), timedOut });
    };
    // Long enough for every piece, the plan's wait for the other side, and the close after it.
    const deadline = setTimeout(() => finish(true), opts.deadlineMs + WS_WAIT_MS + opts.closeGraceMs);
    let sentFirst = false;
    let answered!: () => void;
    const headSeen = new Promise<void>((r) => { answered = r; });
    socket.on('data', (b: Buffer) => {
      if (head) return take(b);
      incoming.push(b);
      const parts = splitHead(Buffer.concat(incoming));
      if (!parts) return;
      head = parseHead(parts.head, 'response');
      take(Buffer.from(parts.rest));
      answered();
    });
    socket.on('close', () => finish(false));
    socket.on('error', () => undefined);
    socket.once('connect', async () => {
      const hs = requestBytes(handshakeRequest(s), id);
      if (s.eager && mine.length) { socket.write(Buffer.concat([hs, mine[0]!])); sentFirst = true; } else socket.write(hs);
      await Promise.race([headSeen, sleep(opts.deadlineMs)]);
      if (done) return;
      // Not a switch: nothing of the session will happen (the checks say why).
      if (head?.status !== 101) return finish(!head);
      for (const [i, p] of mine.entries()) {
        if (i === 0 && sentFirst) continue;
        if (i > 0 && s.delayMs) await sleep(s.delayMs);
        if (done) return;
        socket.write(p);
      }
      if (s.end !== 'client-end' && s.end !== 'client-reset') return;
      for (const until = Date.now() + WS_WAIT_MS; gotBytes < want && Date.now() < until && !done;) await sleep(5);
      if (done) return;
      endedAt = Date.now();
      if (s.end === 'client-end') socket.end();
      else socket.resetAndDestroy();
    });
  });
}
