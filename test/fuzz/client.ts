// One client connection of a case: writes its pipelined requests (at once, one by one, or in a
// trickle of cuts) and reads the answers in order until it has what it waits for.
import { connect } from 'node:net';
import type { Connection, FuzzRequest, Header, Reply } from './model.js';
import { MessageStream, requestBytes, type ParsedMessage } from './wire.js';

export interface ConnResult {
  readonly ids: readonly string[];
  readonly responses: readonly ParsedMessage[];
  readonly parseError?: string;
  /** ms from the last answer's end to the server closing the socket (undefined: it never did). */
  readonly closeDelayMs?: number;
  readonly closedByServer: boolean;
  /** The deadline passed while an answer was still awaited. */
  readonly timedOut: boolean;
  readonly socketError?: string;
}

export interface ClientOptions {
  readonly port: number;
  /** Longest a connection may take. */
  readonly deadlineMs: number;
  /** After a `Connection: close` exchange, how long to wait for the server to close. */
  readonly closeGraceMs: number;
  readonly direct: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const hasToken = (hs: readonly Header[], name: string, tok: RegExp) => hs.some(([k, v]) => k.toLowerCase() === name && tok.test(v));

/** After this request the connection stops being HTTP/1.1 (an upgrade or CONNECT). */
export const switchesProtocol = (r: FuzzRequest) => r.method === 'CONNECT' || (hasToken(r.headers, 'connection', /\bupgrade\b/i) && r.headers.some(([k]) => k.toLowerCase() === 'upgrade'));

/**
 * Node's default limit on the header section of a request (`--max-http-header-size`, 16 KiB);
 * over it the answer is 431 and close. llhttp counts it a few bytes off the exact section size,
 * so a head within MARGIN of the limit is judged neither way.
 */
export const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_MARGIN = 64;

/** How the proxy may treat a request before forwarding it: as any other, refused (answered and closed), or either. */
export function proxyVerdict(r: FuzzRequest, id: string): 'forwarded' | 'refused' | 'either' {
  if (r.target === '*' || r.method === 'CONNECT') return 'refused';
  if (r.headers.filter(([k]) => k.toLowerCase() === 'host').length > 1) return 'refused';
  // The whole head counts, request line included (measured: 16,408 bytes pass on Node 20).
  const head = requestBytes({ ...r, body: '', framing: 'none', trailers: [] }, id).length;
  if (head > MAX_HEAD_BYTES + HEAD_MARGIN) return 'refused';
  return head > MAX_HEAD_BYTES - HEAD_MARGIN ? 'either' : 'forwarded';
}

/**
 * The proxy may answer this request itself and close the connection (docs/architecture.md,
 * "Forwarding"): the asterisk-form, two Host fields, CONNECT, a head over Node's limit. Nothing
 * pipelined after a refused request may be answered or reach the upstream (RFC 9112 §9.6).
 */
export const refusedByProxy = (r: FuzzRequest, id: string): boolean => proxyVerdict(r, id) !== 'forwarded';

/** The upstream closes its connection after this answer (which, direct, is the client's). */
export const replyCloses = (r: Reply) => r.framing === 'eof' || hasToken(r.headers, 'connection', /\bclose\b/i);

/**
 * Whether the app's fault on this answer may end the client's connection. Through the proxy, an
 * app that resets before a byte of its answer gets the proxy's own 502 (or, sent again, the app's
 * answer), and the connection goes on, as behind nginx (test/e2e/body-after-error). Expecting
 * nothing after any fault hid a proxy 502 that ended its connection after the requests behind it
 * had gone to the app (seed 20261207 case 2607). Direct, the reset is the client's. A websocket
 * handshake gets the 502 too, as its connection's last answer (it was closed without one before:
 * seed 20270107 case 2183).
 */
export const faultEndsConnection = (r: Reply, direct: boolean): boolean => r.fault !== 'none' && (direct || r.fault !== 'reset-before');

/**
 * How many leading requests must get an answer before anything else is expected of the
 * connection: up to a request that ends it (close, upgrade, refused, a broken answer).
 */
export function awaitedAnswers(conn: Connection, direct: boolean, ids?: readonly string[]): number {
  let n = 0;
  for (const [i, x] of conn.exchanges.entries()) {
    if (x.request.truncatedBy > 0) break;
    // Near the head limit the proxy may answer it itself or forward it: not awaited either way.
    if (!direct && proxyVerdict(x.request, ids?.[i] ?? 'k0-0-0') === 'either') break;
    n++;
    if (faultEndsConnection(x.reply, direct) || !x.request.valid || x.request.close || switchesProtocol(x.request)) break;
    if (!direct && refusedByProxy(x.request, ids?.[i] ?? 'k0-0-0')) break;
    if (direct && replyCloses(x.reply)) break;
  }
  return n;
}

export function runConnection(conn: Connection, ids: readonly string[], opts: ClientOptions): Promise<ConnResult> {
  return new Promise((resolve) => {
    const stream = new MessageStream('response', (i) => conn.exchanges[i]?.request.method === 'HEAD');
    const socket = connect({ port: opts.port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const want = awaitedAnswers(conn, opts.direct, ids);
    const last = conn.exchanges[want - 1];
    const closing = !!last?.request.close || (opts.direct && !!last && replyCloses(last.reply));
    // An endless answer only comes from the upstream: a request the proxy refuses gets the proxy's own.
    const endlessAt = conn.exchanges.findIndex((x, i) => x.reply.fault === 'endless' && (opts.direct || proxyVerdict(x.request, ids[i]!) !== 'refused'));
    let answeredAt: number | undefined;
    let closeDelayMs: number | undefined;
    let closedByServer = false;
    let timedOut = false;
    let socketError: string | undefined;
    let done = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      socket.destroy();
      resolve({ ids, responses: stream.messages, parseError: stream.error, closeDelayMs, closedByServer, timedOut, socketError });
    };
    const deadline = setTimeout(() => { timedOut = answeredAt === undefined || closing; finish(); }, opts.deadlineMs);

    const check = () => {
      if (done) return;
      const msgs = stream.messages;
      // An endless answer has shown it streams: nothing more will come on this connection. (The
      // gateway's own complete answer, when the app's connection failed first, is not one.)
      const endless = msgs[endlessAt];
      if (endlessAt >= 0 && endlessAt < want && endless && !endless.complete && (endless.body.length > 0 || stream.error)) return finish();
      if (answeredAt === undefined && msgs.length >= want && msgs.slice(0, want).every((m) => m.complete)) {
        answeredAt = Date.now();
        if (!closing) return finish();
        graceTimer = setTimeout(finish, opts.closeGraceMs);
      }
      if (stream.error && !closing) finish();
    };

    socket.on('data', (b: Buffer) => { stream.feed(b); check(); });
    // The end of the stream completes an EOF-delimited answer: that close is the prompt one.
    const onEnd = () => {
      if (done) return;
      closedByServer = true;
      stream.finish();
      if (answeredAt === undefined && stream.messages.length >= want && stream.messages.slice(0, want).every((m) => m.complete)) answeredAt = Date.now();
      if (answeredAt !== undefined && closeDelayMs === undefined) closeDelayMs = Date.now() - answeredAt;
      finish();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (e: NodeJS.ErrnoException) => { socketError = e.code ?? e.message; });

    socket.once('connect', async () => {
      const bytes = conn.exchanges.map((x, i) => requestBytes(x.request, ids[i]!));
      try {
        if (conn.write === 'whole') socket.write(Buffer.concat(bytes));
        else if (conn.write === 'per-request') {
          for (const b of bytes) { if (done) return; socket.write(b); await sleep(1); }
        } else {
          const all = Buffer.concat(bytes);
          const cuts = [...new Set(conn.cuts.map((c) => Math.floor((c / 1000) * all.length)))].sort((a, b) => a - b);
          let at = 0;
          for (const c of [...cuts, all.length]) {
            if (done) return;
            if (c > at) socket.write(all.subarray(at, c));
            at = Math.max(at, c);
            await sleep(1);
          }
        }
      } catch { /* the server went away mid-write */ }
      // A truncated body never completes: the client gives up after a moment, as a browser would.
      if (conn.exchanges.some((x) => x.request.truncatedBy > 0)) setTimeout(() => { if (answeredAt !== undefined || want === 0) finish(); else check(); }, 150);
    });
  });
}
