// The hostile upstream: a raw TCP server that parses requests with http-parser-js, records
// exactly what arrived, and answers each as the case planned, byte for byte: well-formed, or
// reset, garbage, lying Content-Length, endless SSE, slow trickle. Answers on one connection are
// written in order, so a client that pipelines to it directly (--direct) gets them in order too.
import { createServer, type Server, type Socket } from 'node:net';
import type { Reply, WsSession } from './model.js';
import { parseHead, serveWebsocket, splitHead, type WsRecord } from './ws-upstream.js';
import { ECHO_HEADER, ID_HEADER, MessageStream, bodiless, chunk, lastChunk, latin1, replyBody, replyHead, replyHeaders, split, type ParsedMessage } from './wire.js';

/** What the upstream sent for one request, as far as it got. */
export interface Sent {
  readonly reply: Reply;
  readonly method: string;
  headers?: readonly (readonly [string, string])[];
  /** Body bytes written after the head (as encoded, i.e. gzip when the reply is gzip). */
  body: Buffer[];
  done: boolean;
}

export interface UpstreamRecord {
  readonly received: ParsedMessage;
  sent?: Sent;
}

const HEARTBEAT = latin1('data: {"msg":"heartbeat"}\n\n');
/** An endless stream stops by itself after this long, so nothing outlives a run. */
const ENDLESS_MAX_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HostileUpstream {
  /** Planned answers by case id (the `x-fuzz-id` header). */
  readonly plans = new Map<string, Reply>();
  readonly records = new Map<string, UpstreamRecord>();
  /** Planned websockets by id, and what happened on each. */
  readonly wsPlans = new Map<string, WsSession>();
  readonly wsRecords = new Map<string, WsRecord>();
  /** Answers for requests without an id: the proxy's own GET /config, /info and file probes. */
  appReply?: Reply;
  /** Requests the proxy made by itself (no id), for the report. */
  ownRequests = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly ended = new WeakSet<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => this.serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets a case's plans and records. */
  forget(ids: readonly string[]): void {
    for (const id of ids) { this.plans.delete(id); this.records.delete(id); this.wsPlans.delete(id); this.wsRecords.delete(id); }
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (!this.wsPlans.size) return this.serveHttp(socket);
    // A planned websocket's handshake comes first on a connection of its own (the proxy opens
    // one per handshake): read the head before deciding which side serves the connection.
    const head: Buffer[] = [];
    const sniff = (b: Buffer) => {
      head.push(b);
      const all = Buffer.concat(head);
      const split = splitHead(all);
      if (!split && all.length < 64 << 10) return;
      socket.off('data', sniff);
      socket.off('end', unsniffed);
      const msg = split && parseHead(split.head, 'request');
      const id = msg && this.headerOf(msg, ID_HEADER);
      const plan = id !== undefined ? this.wsPlans.get(id) : undefined;
      if (msg?.upgrade && id !== undefined && plan && !this.wsRecords.has(id)) return void this.wsRecords.set(id, serveWebsocket(socket, msg, split!.rest, id, plan));
      this.serveHttp(socket);
      socket.emit('data', all);
    };
    const unsniffed = () => { socket.off('data', sniff); this.serveHttp(socket); socket.emit('data', Buffer.concat(head)); socket.emit('end'); };
    socket.on('data', sniff);
    socket.once('end', unsniffed);
  }

  private serveHttp(socket: Socket): void {
    const stream = new MessageStream('request');
    let seen = 0;
    let chain = Promise.resolve();
    const drain = () => {
      while (seen < stream.messages.length && stream.messages[seen]!.complete) {
        const msg = stream.messages[seen++]!;
        chain = chain.then(() => this.answer(socket, msg)).catch(() => undefined);
      }
      if (stream.error) {
        // What a strict server does with bytes it cannot parse.
        chain = chain.then(() => { if (!socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'); });
      }
    };
    socket.on('data', (b: Buffer) => { stream.feed(b); drain(); });
    socket.on('end', () => { stream.finish(); drain(); chain = chain.then(() => { socket.end(); }); });
  }

  /** All lines of a field, joined as one list (undefined when absent). */
  private headerOf(msg: ParsedMessage, name: string): string | undefined {
    const vs: string[] = [];
    for (let i = 0; i < msg.headers.length; i += 2) if (msg.headers[i]!.toLowerCase() === name) vs.push(msg.headers[i + 1]!);
    return vs.length ? vs.join(', ') : undefined;
  }

  private async answer(socket: Socket, msg: ParsedMessage): Promise<void> {
    // After an answer that ends the connection, nothing more is written on it (a reset now would
    // discard the end of that answer still in flight).
    if (socket.destroyed || this.ended.has(socket)) return;
    const id = this.headerOf(msg, ID_HEADER);
    let reply: Reply | undefined;
    if (id === undefined) {
      this.ownRequests++;
      reply = this.appReply;
    } else {
      reply = this.plans.get(id);
      if (reply && !this.records.has(id)) this.records.set(id, { received: msg });
      else if (reply) reply = undefined; // a second copy of one request: answer it plainly
    }
    reply ??= PLAIN_404;
    const method = msg.method ?? 'GET';
    const sent: Sent = { reply, method, body: [], done: false };
    if (id !== undefined && this.records.get(id)?.received === msg) this.records.get(id)!.sent = sent;
    await this.write(socket, reply, id, method, sent);
    const wantsClose = /\bclose\b/i.test(this.headerOf(msg, 'connection') ?? '') || msg.upgrade;
    if (wantsClose && !socket.destroyed) { this.ended.add(socket); socket.end(); }
  }

  private async write(socket: Socket, r: Reply, id: string | undefined, method: string, sent: Sent): Promise<void> {
    const out = (b: Buffer) => { if (!socket.destroyed) socket.write(b); };
    // A reset discards what the peer has not read yet: let earlier answers on this connection land first.
    if (r.fault === 'reset-before') { await sleep(20); socket.resetAndDestroy(); return; }
    if (r.fault === 'garbage') { out(latin1(r.garbage)); socket.destroySoon(); return; }
    const body = bodiless(r.status, method) ? Buffer.alloc(0) : replyBody(r);
    const fullLength = r.status === 204 || r.status === 304 ? 0 : replyBody(r).length;
    const headers = replyHeaders(r, id, fullLength);
    sent.headers = headers;
    out(replyHead(r, headers));
    if (r.fault === 'reset-after-headers') { await sleep(20); socket.resetAndDestroy(); return; }
    const chunked = r.framing === 'chunked' && r.fault !== 'short-length' && r.fault !== 'long-length' && !(r.status === 204 || r.status === 304) && method !== 'HEAD';
    let pieces = split(body, r.pieces);
    if (!body.length) pieces = [];
    if (r.fault === 'reset-mid-body') pieces = pieces.slice(0, Math.max(1, Math.floor(pieces.length / 2))).map((p, i, a) => (i === a.length - 1 ? p.subarray(0, Math.ceil(p.length / 2)) : p));
    for (const [i, p] of pieces.entries()) {
      if (i > 0 && r.delayMs > 0) await sleep(r.delayMs);
      if (socket.destroyed) return;
      if (!p.length) continue;
      out(chunked ? chunk(p) : p);
      sent.body.push(p);
    }
    if (r.fault === 'reset-mid-body') { await sleep(20); socket.resetAndDestroy(); return; }
    // An answer without a body (HEAD, 204, 304) cannot stream: the head was all of it.
    if (r.fault === 'endless' && !bodiless(r.status, method)) {
      const until = Date.now() + ENDLESS_MAX_MS;
      while (!socket.destroyed && Date.now() < until) {
        await sleep(15);
        if (socket.destroyed) break;
        out(chunked ? chunk(HEARTBEAT) : HEARTBEAT);
        sent.body.push(HEARTBEAT);
      }
      socket.destroy();
      return;
    }
    if (chunked) out(lastChunk(r.trailers));
    sent.done = true;
    if (r.fault === 'short-length' || r.fault === 'long-length' || r.framing === 'eof' || /\bclose\b/i.test(headers.find(([k]) => k.toLowerCase() === 'connection')?.[1] ?? '')) {
      // The lie leaves the connection unusable, and an EOF-delimited body ends with the close.
      this.ended.add(socket);
      await new Promise<void>((resolve) => socket.end(resolve));
    }
  }
}

const PLAIN_404: Reply = {
  status: 404, reason: 'Not Found', headers: [['Content-Type', 'text/plain']], body: 'no plan', gzip: false,
  framing: 'length', trailers: [], pieces: 1, delayMs: 0, fault: 'none', garbage: '',
};

export { ECHO_HEADER };
