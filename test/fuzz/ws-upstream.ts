// The hostile upstream's websocket side: accepts a planned handshake with a 101 (the case's
// extensions, and the first of its bytes in the same write when the case says so), records every
// byte that follows, sends its own frames in pieces, and ends or resets when its plan says.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Header, WsSession } from './model.js';
import { ECHO_HEADER, MessageStream, latin1, split, type ParsedMessage } from './wire.js';

/** What happened on the app's side of one websocket. */
export interface WsRecord {
  readonly handshake: ParsedMessage;
  /** The 101's fields as the app wrote them. */
  readonly head: readonly Header[];
  /** Bytes that arrived after the handshake. */
  readonly received: Buffer[];
  /** When the app ended or reset the connection by its plan. */
  endedAt?: number;
  /** When its socket closed, whoever closed it. */
  closedAt?: number;
  readonly closed: Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** How long a side that ends the session waits for the other side's bytes first. */
export const WS_WAIT_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The handshake's head, when `b` holds one whole (and where it ends). */
export function splitHead(b: Buffer): { head: Buffer; rest: Buffer } | undefined {
  const at = b.indexOf('\r\n\r\n');
  return at < 0 ? undefined : { head: b.subarray(0, at + 4), rest: b.subarray(at + 4) };
}

export function parseHead(head: Buffer, kind: 'request' | 'response'): ParsedMessage | undefined {
  const stream = new MessageStream(kind);
  stream.feed(head);
  return stream.messages[0];
}

const field = (m: ParsedMessage, name: string): string | undefined => {
  for (let i = 0; i < m.headers.length; i += 2) if (m.headers[i]!.toLowerCase() === name) return m.headers[i + 1];
  return undefined;
};

export function serveWebsocket(socket: Socket, handshake: ParsedMessage, rest: Buffer, id: string, plan: WsSession): WsRecord {
  const accept = createHash('sha1').update(`${field(handshake, 'sec-websocket-key') ?? ''}${GUID}`).digest('base64');
  const head: Header[] = [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', accept], [ECHO_HEADER, id]];
  if (plan.extensions) head.push(['Sec-WebSocket-Extensions', plan.extensions]);
  let close!: () => void;
  const rec: WsRecord = { handshake, head, received: rest.length ? [rest] : [], closed: new Promise((r) => { close = r; }) };
  socket.on('data', (b: Buffer) => rec.received.push(b));
  socket.on('close', () => { rec.closedAt = Date.now(); close(); });
  const bytes = latin1(plan.serverBytes);
  const first = bytes.subarray(0, plan.withHead);
  socket.write(Buffer.concat([latin1(`HTTP/1.1 101 Switching Protocols\r\n${head.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`), first]));
  void (async () => {
    const later = bytes.subarray(first.length);
    for (const [i, p] of (later.length ? split(later, plan.serverPieces) : []).entries()) {
      if (i > 0 && plan.delayMs) await sleep(plan.delayMs);
      if (socket.destroyed) return;
      socket.write(p);
    }
    if (plan.end !== 'server-end' && plan.end !== 'server-reset') return;
    const want = latin1(plan.clientBytes).length;
    for (const until = Date.now() + WS_WAIT_MS; rec.received.reduce((n, b) => n + b.length, 0) < want && Date.now() < until && !socket.destroyed;) await sleep(5);
    if (socket.destroyed) return;
    rec.endedAt = Date.now();
    if (plan.end === 'server-end') socket.end();
    else socket.resetAndDestroy();
  })();
  return rec;
}
