// Requests the proxy answers itself because forwarding them would be wrong whatever the app does.
// Node's parser already refuses most malformed framing (Content-Length with Transfer-Encoding,
// bad chunk sizes, a missing Host on HTTP/1.1); these are the cases it lets through. Each status
// is what nginx, the reference front, answers for the same bytes.
import type { IncomingMessage } from 'node:http';

export const RefusalReason = {
  DUPLICATE_HOST: 'duplicate_host',
  ASTERISK_FORM: 'asterisk_form',
  CONNECT: 'connect_method',
  TRANSFER_ENCODING_HTTP10: 'transfer_encoding_on_http10',
  TRANSFER_CODING: 'unsupported_transfer_coding',
  UPGRADE_BODY: 'chunked_body_on_upgrade',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

export interface Refusal {
  readonly status: 400 | 501;
  readonly reason: RefusalReason;
  readonly message: string;
}

/** All Transfer-Encoding codings, in order, across every field line (Node joins them, but only for this header). */
function transferCodings(raw: readonly string[]): string[] {
  const codings: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'transfer-encoding') continue;
    for (const c of raw[i + 1]!.split(',')) if (c.trim()) codings.push(c.trim().toLowerCase());
  }
  return codings;
}

export function refusalFor(req: IncomingMessage): Refusal | undefined {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
  // RFC 9112 §3.2: a request with more than one Host field is invalid (Node keeps the first).
  if (hosts > 1) return { status: 400, reason: RefusalReason.DUPLICATE_HOST, message: 'more than one Host header' };
  // The asterisk-form targets the server itself (RFC 9112 §3.2.4); http-proxy would forward it as `/*`.
  if (req.url === '*') return { status: 400, reason: RefusalReason.ASTERISK_FORM, message: 'the asterisk-form request target is not served' };
  const codings = transferCodings(raw);
  if (codings.length) {
    // RFC 9112 §6.1: Transfer-Encoding did not exist in HTTP/1.0; a 1.0 message carrying it is suspect framing.
    if (req.httpVersion === '1.0') return { status: 400, reason: RefusalReason.TRANSFER_ENCODING_HTTP10, message: 'Transfer-Encoding on an HTTP/1.0 request' };
    // Only `chunked` alone is understood; forwarding other codings would let each hop frame the body differently.
    if (codings.length !== 1 || codings[0] !== 'chunked') return { status: 501, reason: RefusalReason.TRANSFER_CODING, message: 'unsupported transfer coding' };
  }
  return undefined;
}

export const connectRefusal: Refusal = { status: 400, reason: RefusalReason.CONNECT, message: 'CONNECT is not served: this is a reverse proxy' };
