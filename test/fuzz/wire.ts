// HTTP/1.1 bytes: requests written exactly as a case says, and answers parsed back
// (pipelined, in order) with http-parser-js, which hands over raw header lists and trailers.
import { HTTPParser } from 'http-parser-js';
import { gzipSync } from 'node:zlib';
import type { FuzzRequest, Header, Reply } from './model.js';

// Header text is bytes: latin1 keeps obs-text octets as they are (the default 'ascii' drops bit 7).
(HTTPParser as unknown as { encoding: string }).encoding = 'latin1';

export const ID_HEADER = 'x-fuzz-id';
export const ECHO_HEADER = 'x-fuzz-echo';
const CRLF = '\r\n';

export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Splits `b` into `n` (at least one) pieces of roughly equal size. */
export function split(b: Buffer, n: number): Buffer[] {
  const count = Math.max(1, Math.min(n, b.length || 1));
  const size = Math.ceil(b.length / count) || 1;
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out.length ? out : [Buffer.alloc(0)];
}

const fieldLines = (hs: readonly Header[]): string => hs.map(([k, v]) => `${k}: ${v}${CRLF}`).join('');

/** The request's bytes on the wire, with the case id header that lets the upstream match it. */
export function requestBytes(r: FuzzRequest, id: string): Buffer {
  const body = latin1(r.body);
  let head = `${r.method} ${r.target} HTTP/${r.version}${CRLF}${fieldLines(r.headers)}${ID_HEADER}: ${id}${CRLF}`;
  if (r.framing === 'length') head += `Content-Length: ${body.length + r.truncatedBy}${CRLF}`;
  if (r.framing === 'chunked') head += `Transfer-Encoding: chunked${CRLF}`;
  if (r.close) head += `Connection: close${CRLF}`;
  head += CRLF;
  if (r.framing !== 'chunked') return Buffer.concat([latin1(head), r.framing === 'length' ? body : Buffer.alloc(0)]);
  const parts: Buffer[] = [latin1(head)];
  for (const piece of body.length ? split(body, r.chunks) : []) parts.push(latin1(`${piece.length.toString(16)}${CRLF}`), piece, latin1(CRLF));
  parts.push(latin1(`0${CRLF}${fieldLines(r.trailers)}${CRLF}`));
  return Buffer.concat(parts);
}

/** The body bytes the upstream sends for a reply (gzip applied). */
export function replyBody(r: Reply): Buffer {
  const raw = latin1(r.body);
  return r.gzip ? gzipSync(raw) : raw;
}

/** Whether a status forbids a body (RFC 9110 §6.4.1). */
export const bodiless = (status: number, method: string): boolean =>
  method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);

/** Every header field line of a reply as the upstream writes them (the framing ones included). */
export function replyHeaders(r: Reply, id: string | undefined, bodyLength: number): Header[] {
  const hs: Header[] = [...r.headers];
  if (id !== undefined) hs.push([ECHO_HEADER, id]);
  if (r.gzip) hs.push(['Content-Encoding', 'gzip']);
  const noBody = r.status === 204 || r.status === 304;
  if (!noBody) {
    if (r.framing === 'length' || r.fault === 'short-length' || r.fault === 'long-length') {
      const lie = r.fault === 'short-length' ? 7 : r.fault === 'long-length' ? -Math.ceil(bodyLength / 2) : 0;
      hs.push(['Content-Length', String(bodyLength + lie)]);
    } else if (r.framing === 'chunked') {
      hs.push(['Transfer-Encoding', 'chunked']);
    }
  }
  if (r.framing === 'eof' && r.fault === 'none') hs.push(['Connection', 'close']);
  return hs;
}

export function replyHead(r: Reply, headers: readonly Header[]): Buffer {
  return latin1(`HTTP/1.1 ${r.status} ${r.reason}${CRLF}${fieldLines(headers)}${CRLF}`);
}

export const chunk = (b: Buffer): Buffer => Buffer.concat([latin1(`${b.length.toString(16)}${CRLF}`), b, latin1(CRLF)]);
export const lastChunk = (trailers: readonly Header[]): Buffer => latin1(`0${CRLF}${fieldLines(trailers)}${CRLF}`);

// ---- parsing --------------------------------------------------------------------------------

export interface ParsedMessage {
  method?: string;
  url?: string;
  status?: number;
  reason?: string;
  headers: string[];
  body: Buffer[];
  trailers: string[];
  complete: boolean;
  upgrade: boolean;
}

export const bodyOf = (m: ParsedMessage): Buffer => Buffer.concat(m.body);

type ParserHandlers = {
  [HTTPParser.kOnHeadersComplete]: (info: { headers: string[]; method: number; url: string; statusCode: number; statusMessage: string; upgrade: boolean }) => number | void;
  [HTTPParser.kOnBody]: (b: Buffer, offset: number, length: number) => void;
  [HTTPParser.kOnHeaders]: (trailers: string[]) => void;
  [HTTPParser.kOnMessageComplete]: () => void;
};

/**
 * An incremental parser for a stream of messages. `skipBody(index)` tells it which responses
 * have none (answers to HEAD); 1xx interim answers are not counted.
 */
export class MessageStream {
  readonly messages: ParsedMessage[] = [];
  error?: string;
  /** True once an upgrade/CONNECT request was seen: the rest of the stream is not HTTP. */
  stopped = false;
  private readonly parser: InstanceType<typeof HTTPParser>;
  private current?: ParsedMessage;

  constructor(kind: 'request' | 'response', private readonly skipBody: (index: number) => boolean = () => false) {
    this.parser = new HTTPParser(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE);
    const p = this.parser as unknown as ParserHandlers;
    p[HTTPParser.kOnHeadersComplete] = (info) => {
      const interim = kind === 'response' && info.statusCode >= 100 && info.statusCode < 200 && info.statusCode !== 101;
      this.current = {
        method: kind === 'request' ? (HTTPParser.methods as string[])[info.method] : undefined,
        url: info.url, status: kind === 'response' ? info.statusCode : undefined, reason: info.statusMessage,
        headers: info.headers, body: [], trailers: [], complete: false, upgrade: info.upgrade,
      };
      if (!interim) this.messages.push(this.current);
      return !interim && kind === 'response' && this.skipBody(this.messages.length - 1) ? 1 : 0;
    };
    p[HTTPParser.kOnBody] = (b, offset, length) => { this.current?.body.push(Buffer.from(b.subarray(offset, offset + length))); };
    p[HTTPParser.kOnHeaders] = (trailers) => { if (this.current) this.current.trailers.push(...trailers); };
    p[HTTPParser.kOnMessageComplete] = () => {
      if (!this.current) return;
      this.current.complete = true;
      // After an upgrade (or CONNECT) the bytes that follow are another protocol's.
      if (this.current.upgrade) this.stopped = true;
    };
  }

  feed(b: Buffer): void {
    if (this.error || this.stopped) return;
    const r = this.parser.execute(b);
    if (r instanceof Error) this.error = r.message;
  }

  /** End of stream: completes a close-delimited body. */
  finish(): void {
    if (this.error || this.stopped) return;
    const r = this.parser.finish();
    if (r instanceof Error && this.current && !this.current.complete) this.error = r.message;
  }
}
