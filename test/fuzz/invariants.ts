// The invariants checked after every case. Each is named so a run can switch it on or off
// (`--only`, `--skip`); each failure carries a short signature so distinct defects are counted once.
import type { ConnResult } from './client.js';
import { awaitedAnswers, faultEndsConnection, proxyVerdict, switchesProtocol } from './client.js';
import type { Connection, FuzzRequest, Header } from './model.js';
import type { UpstreamRecord } from './upstream.js';
import { ECHO_HEADER, ID_HEADER, bodiless, bodyOf, latin1, replyBody, type ParsedMessage } from './wire.js';

export const INVARIANTS = ['crash', 'health', 'bytes', 'answer', 'close', 'zipkin', 'rss'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Failure {
  readonly invariant: Invariant;
  /** Stable across inputs that hit the same defect (used to count distinct failures). */
  readonly signature: string;
  readonly detail: string;
  /** Found by a check over a window of cases (--zipkin-every): any case of the window may be the cause. */
  readonly windowed?: boolean;
}

/** Whether there is a proxy in between (else the harness talks to the upstream directly). */
export interface Mode { readonly direct: boolean }

// ---- what the proxy may change --------------------------------------------------------------

export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'content-length'];
const PROPAGATION = /^(traceparent|tracestate|b3|x-b3-.*)$/;
const FORWARDED = /^x-forwarded-.*$/;
/** Secrets and routing controls the proxy may consume (issue 9, item 8). */
const CONSUMED = ['x-debug-tracing', 'x-canary', 'expect'];
/** The proxy's canary pin cookie (default name): consumed like X-Canary; every other cookie must arrive. */
const PIN_COOKIE = 'tts_route';
export const PROXY_OWNED = ['x-trace-id', 'traceresponse'];
export const RESPONSE_ADDED = [...PROXY_OWNED, 'date'];

/** Header names a sender lists in Connection (RFC 9110 §7.6.1): hop-by-hop for that message. */
export function connectionListed(lines: readonly Header[]): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of lines) if (k.toLowerCase() === 'connection') for (const t of v.split(',')) if (t.trim()) out.add(t.trim().toLowerCase());
  return out;
}

export function pairs(raw: readonly string[]): Header[] {
  const out: Header[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

// Field values are compared without surrounding whitespace (RFC 9112 §5.1: OWS is not part of the value).
const trimOws = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * Field lines grouped by lower-case name, values in order. Repeated lines are one list
 * (RFC 9110 §5.3), so `a: 1` + `a: 2` equals `a: 1, 2`; Cookie is joined with "; " as every
 * HTTP stack does, Set-Cookie is a list of its own.
 */
function grouped(lines: readonly Header[], skip: (name: string) => boolean): Map<string, string> {
  const m = new Map<string, string[]>();
  for (const [k, v] of lines) {
    const n = k.toLowerCase();
    if (skip(n)) continue;
    const list = m.get(n) ?? [];
    list.push(trimOws(v));
    m.set(n, list);
  }
  const out = new Map<string, string>();
  for (const [n, vs] of m) {
    if (n === 'cookie') {
      const kept = vs.join('; ').split(';').map((c) => c.trim()).filter((c) => c && c.split('=')[0]!.trim() !== PIN_COOKIE);
      if (kept.length) out.set(n, kept.join('; '));
      continue;
    }
    out.set(n, vs.join(n === 'set-cookie' ? '\n' : ', '));
  }
  return out;
}

export function headerDiff(where: string, expected: readonly Header[], actual: readonly Header[], skip: (n: string) => boolean, mayAdd: (n: string) => boolean): Failure[] {
  const e = grouped(expected, skip);
  const a = grouped(actual, (n) => skip(n) || (!e.has(n) && mayAdd(n)));
  const out: Failure[] = [];
  for (const [n, v] of e) {
    const got = a.get(n);
    if (got === undefined) out.push({ invariant: 'bytes', signature: `${where} header dropped: ${sigName(n)}`, detail: `${where}: header ${JSON.stringify(n)} (${JSON.stringify(v.slice(0, 120))}) did not arrive` });
    else if (got !== v) out.push({ invariant: 'bytes', signature: `${where} header altered: ${sigName(n)}`, detail: `${where}: header ${JSON.stringify(n)} sent ${JSON.stringify(v.slice(0, 200))}, arrived ${JSON.stringify(got.slice(0, 200))}` });
  }
  for (const [n, v] of a) if (!e.has(n)) out.push({ invariant: 'bytes', signature: `${where} header added: ${sigName(n)}`, detail: `${where}: header ${JSON.stringify(n)}: ${JSON.stringify(v.slice(0, 120))} was added` });
  return out;
}

/** Generated header names (random tokens) would make every signature distinct. */
const sigName = (n: string) => (/^x-fuzz-[a-z]+$|^[a-z-]{1,40}$/.test(n) && !/^x-r-/.test(n) ? n : '<random name>');

export function describeBody(b: Buffer): string {
  return `${b.length} bytes ${JSON.stringify(b.subarray(0, 60).toString('latin1'))}`;
}

export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

// ---- request side ---------------------------------------------------------------------------

/** The request as the upstream must see it (what the client wrote, framing aside). */
export function expectedRequestHeaders(r: FuzzRequest, id: string): Header[] {
  return [...r.headers, [ID_HEADER, id], ...(r.close ? [['Connection', 'close'] as Header] : [])];
}

export function checkRequest(r: FuzzRequest, id: string, got: ParsedMessage, mode: Mode): Failure[] {
  const out: Failure[] = [];
  if (got.method !== r.method) out.push({ invariant: 'bytes', signature: 'request method altered', detail: `method ${r.method} arrived as ${got.method}` });
  if (got.url !== r.target) out.push({ invariant: 'bytes', signature: `request target altered${r.target === '*' ? ' (asterisk-form)' : ''}`, detail: `target ${JSON.stringify(r.target)} arrived as ${JSON.stringify(got.url)}` });
  const sent = expectedRequestHeaders(r, id);
  const listed = connectionListed(sent);
  const skip = mode.direct
    ? (n: string) => n === 'content-length' || n === 'transfer-encoding'
    : (n: string) => HOP_BY_HOP.includes(n) || listed.has(n) || PROPAGATION.test(n) || FORWARDED.test(n) || CONSUMED.includes(n);
  const mayAdd = mode.direct ? () => false : (n: string) => PROPAGATION.test(n) || FORWARDED.test(n) || n === 'host' || HOP_BY_HOP.includes(n);
  out.push(...headerDiff('request', sent, pairs(got.headers), skip, mayAdd));
  const body = bodyOf(got);
  const want = latin1(r.body);
  if (!body.equals(want)) {
    const at = firstDifference(want, body);
    out.push({ invariant: 'bytes', signature: 'request body altered', detail: `request body: sent ${describeBody(want)}, arrived ${describeBody(body)} (first difference at byte ${at})` });
  }
  if (r.framing === 'chunked' && r.trailers.length) {
    const t = grouped(r.trailers, () => false);
    const g = grouped(pairs(got.trailers), () => false);
    for (const [n, v] of t) if (g.get(n) !== v) out.push({ invariant: 'bytes', signature: 'request trailer dropped or altered', detail: `request trailer ${JSON.stringify(n)}: sent ${JSON.stringify(v)}, arrived ${JSON.stringify(g.get(n) ?? null)}` });
  }
  return out;
}

/**
 * A reset later on the connection may discard answers the peer has not read yet (TCP drops
 * the unread receive queue on RST), so an earlier answer cut short, or lost whole, is not held
 * against anyone. (The proxy closes a client's connection at once when the app dies mid-body;
 * a lingering close, as nginx does, would keep those answers: a possible improvement.) Only a
 * fault that ends the client's connection counts: through the proxy, an app that resets before
 * its answer gets the proxy's 502 instead (`faultEndsConnection`), and excusing the answers before
 * it would hide a lost one.
 */
function resetLater(conn: Connection, i: number, direct: boolean): boolean {
  return conn.exchanges.slice(i + 1).some((x) => faultEndsConnection(x.reply, direct));
}

// ---- response side --------------------------------------------------------------------------

/**
 * `unread`: the client stopped reading before this answer could end (it waits only for the
 * answers up to one that ends the connection, then closes), so an unfinished body says nothing.
 */
function checkResponse(conn: Connection, i: number, res: ParsedMessage, rec: UpstreamRecord, mode: Mode, unread: boolean): Failure[] {
  const sent = rec.sent!;
  const r = sent.reply;
  const out: Failure[] = [];
  if (!sent.headers) return out;
  // A broken answer may be replaced by the gateway's own error (RFC 9110 §15.6.3).
  if (r.fault !== 'none' && (res.status === 502 || res.status === 504)) return out;
  if (res.status !== r.status) {
    out.push({ invariant: 'bytes', signature: `response status replaced (${r.fault === 'none' ? 'well-formed answer' : r.fault})`, detail: `upstream answered ${r.status}, client got ${res.status}` });
    return out;
  }
  // An empty reason phrase may be filled in; a given one should pass as it is.
  if (r.fault === 'none' && r.reason !== '' && res.reason !== r.reason) out.push({ invariant: 'bytes', signature: 'response reason phrase altered', detail: `reason ${JSON.stringify(r.reason)} arrived as ${JSON.stringify(res.reason)}` });
  const listed = connectionListed(sent.headers);
  // The proxy owns x-trace-id and traceresponse: it replaces the app's own.
  const skip = mode.direct ? (n: string) => n === 'content-length' || n === 'transfer-encoding' : (n: string) => HOP_BY_HOP.includes(n) || listed.has(n) || PROXY_OWNED.includes(n);
  const mayAdd = mode.direct ? () => false : (n: string) => RESPONSE_ADDED.includes(n) || HOP_BY_HOP.includes(n);
  // A lying Content-Length is framing the proxy must not repeat; everything else must arrive.
  out.push(...headerDiff('response', sent.headers, pairs(res.headers), skip, mayAdd));
  const got = bodyOf(res);
  const upstreamBody = Buffer.concat(sent.body);
  const method = conn.exchanges[i]!.request.method;
  if (r.fault === 'none' && sent.done) {
    const full = bodiless(r.status, method) ? Buffer.alloc(0) : replyBody(r);
    if (!res.complete && (resetLater(conn, i, mode.direct) || unread)) return out;
    if (!res.complete) out.push({ invariant: 'bytes', signature: 'well-formed response cut short', detail: `the answer (${describeBody(full)}) did not complete; got ${describeBody(got)}` });
    else if (!got.equals(full)) out.push({ invariant: 'bytes', signature: 'response body altered', detail: `response body: upstream sent ${describeBody(full)}, client got ${describeBody(got)} (first difference at ${firstDifference(full, got)})` });
    // Trailers need chunked framing towards the client: an HTTP/1.0 client and a refused websocket
    // handshake (relayed close-delimited, docs/architecture.md) get the body without them.
    const request = conn.exchanges[i]!.request;
    const noTrailers = request.version === '1.0' || (switchesProtocol(request) && r.status !== 101);
    if (r.framing === 'chunked' && r.trailers.length && res.complete && !bodiless(r.status, method) && !noTrailers) {
      const t = grouped(r.trailers, () => false);
      const g = grouped(pairs(res.trailers), () => false);
      for (const [n, v] of t) if (g.get(n) !== v) out.push({ invariant: 'bytes', signature: 'response trailer dropped or altered', detail: `response trailer ${JSON.stringify(n)}: sent ${JSON.stringify(v)}, arrived ${JSON.stringify(g.get(n) ?? null)}` });
    }
  } else {
    // A broken answer may arrive cut short, never altered or extended. (The upstream may still
    // be writing the planned body when the client has seen enough, so judge against the plan.)
    const planned = r.fault === 'endless' ? upstreamBody : bodiless(r.status, method) ? Buffer.alloc(0) : replyBody(r);
    const allowed = r.fault === 'long-length' ? planned.subarray(0, planned.length - Math.ceil(planned.length / 2)) : planned;
    if (got.length > allowed.length || !allowed.subarray(0, got.length).equals(got)) {
      out.push({ invariant: 'bytes', signature: `response body not a prefix of what the upstream sent (${r.fault})`, detail: `upstream sent ${describeBody(allowed)}, client got ${describeBody(got)}` });
    }
  }
  return out;
}

/** Byte checks for one connection: requests that arrived, answers to requests that arrived. */
export function checkBytes(conn: Connection, res: ConnResult, records: ReadonlyMap<string, UpstreamRecord>, mode: Mode): Failure[] {
  const out: Failure[] = [];
  conn.exchanges.forEach((x, i) => {
    const rec = records.get(res.ids[i]!);
    // An invalid request may be read in more than one way; only a valid one has one meaning.
    if (rec?.received.complete && x.request.valid) out.push(...checkRequest(x.request, res.ids[i]!, rec.received, mode));
  });
  // Answers pair with requests by position; a faulty answer may end the connection.
  // Past the awaited ones, answers that arrived with them (one read can hold several) are still
  // judged, but one the client's own close cut is not (found by the fuzzer: a request whose
  // planned fault never happened, the app's connection having closed under it, let the rest run).
  const want = awaitedAnswers(conn, mode.direct, res.ids);
  for (let i = 0; i < res.responses.length && i < conn.exchanges.length; i++) {
    const got = res.responses[i]!;
    const echo = pairs(got.headers).find(([k]) => k.toLowerCase() === ECHO_HEADER)?.[1];
    if (echo !== undefined && echo !== res.ids[i]) {
      out.push({ invariant: 'bytes', signature: 'answer delivered to the wrong request', detail: `answer #${i} carries ${echo}, expected ${res.ids[i]}` });
      break;
    }
    const rec = records.get(res.ids[i]!);
    if (rec?.sent && echo !== undefined) out.push(...checkResponse(conn, i, got, rec, mode, i >= want && !res.closedByServer));
    if (rec?.sent && rec.sent.reply.fault !== 'none') break;
    if (!conn.exchanges[i]!.request.valid) break;
  }
  return out;
}

/**
 * Nothing pipelined after the last request of a connection (a `Connection: close` one, or one the
 * proxy refuses) reaches the upstream: it could never be answered (RFC 9112 §9.6).
 */
function checkNothingAfterLast(conn: Connection, res: ConnResult, records: ReadonlyMap<string, UpstreamRecord>): Failure[] {
  for (const [i, x] of conn.exchanges.entries()) {
    const r = x.request;
    if (!r.valid || r.truncatedBy > 0 || (switchesProtocol(r) && r.method !== 'CONNECT')) return [];
    const verdict = proxyVerdict(r, res.ids[i]!);
    // Near the head limit the proxy may go either way: nothing after it can be judged.
    if (verdict === 'either') return [];
    if (!r.close && verdict === 'forwarded') continue;
    const after = res.ids.slice(i + 1).findIndex((id) => records.has(id));
    if (after < 0) return [];
    const late = conn.exchanges[i + 1 + after]!.request;
    return [{ invariant: 'answer', signature: 'request forwarded after the last one on its connection', detail: `request #${i + 1 + after} ${late.method} ${late.target} reached the upstream although #${i} (${r.method} ${r.target}) ended the connection` }];
  }
  return [];
}

/** Every awaited request got an answer (or, for a refused or broken one, at least a close). */
export function checkAnswered(conn: Connection, res: ConnResult, records: ReadonlyMap<string, UpstreamRecord>, mode: Mode): Failure[] {
  const late = mode.direct ? [] : checkNothingAfterLast(conn, res, records);
  if (late.length) return late;
  const want = awaitedAnswers(conn, mode.direct, res.ids);
  if (res.timedOut) {
    const got = res.responses.filter((m) => m.complete).length;
    return [{ invariant: 'answer', signature: 'hang: an awaited answer never came', detail: `${got} of ${want} awaited answers after the deadline` }];
  }
  for (let i = 0; i < want; i++) {
    const m = res.responses[i];
    if (m?.complete) continue;
    const x = conn.exchanges[i]!;
    const rec = records.get(res.ids[i]!);
    const broken = rec?.sent && faultEndsConnection(rec.sent.reply, mode.direct);
    if (broken || !x.request.valid) return [];
    if (resetLater(conn, i, mode.direct)) return [];
    if (m && !m.complete) return [{ invariant: 'answer', signature: 'answer cut short', detail: `answer #${i} (${m.status}) to ${x.request.method} ${x.request.target} ended early` }];
    // How far the app got (its record is made on receipt, `done` once its whole answer is written)
    // and how the client's connection ended: the two a diagnosis starts from.
    const [reached, arrived] = !rec ? ['not forwarded', 'it never reached the upstream']
      : rec.sent?.done ? ['answered upstream', 'the upstream answered it well-formed']
      : ['received upstream', 'the upstream received it and had not finished answering'];
    const ended = res.socketError ? `reset (${res.socketError})` : 'closed (FIN)';
    return [{ invariant: 'answer', signature: `connection closed without an answer (${reached})`, detail: `request #${i} ${x.request.method} ${x.request.target}: no answer before the connection ${ended}; ${arrived}` }];
  }
  return [];
}

/** After a `Connection: close` exchange, the server closes the socket (promptly). */
export function checkClose(conn: Connection, res: ConnResult, graceMs: number, mode: Mode): Failure[] {
  const want = awaitedAnswers(conn, mode.direct, res.ids);
  const last = conn.exchanges[want - 1];
  if (!last?.request.close || !last.request.valid || res.timedOut) return [];
  if (res.responses.length < want || !res.responses.slice(0, want).every((m) => m.complete)) return [];
  if (res.closeDelayMs === undefined || res.closeDelayMs > graceMs) {
    return [{ invariant: 'close', signature: 'socket left open after Connection: close', detail: `no close within ${graceMs} ms after the answer to a Connection: close request` }];
  }
  return [];
}
