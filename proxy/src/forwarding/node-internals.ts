// The fields of Node's HTTP internals the forwarding code reads: the answer that holds a client
// socket now, whether that answer ends the connection (`_last`, set by a `Connection: close` field
// in the answer itself), the answer an upstream request got (`res`, set the moment its head, or a
// 101, arrives), a taken-over socket's read state (written: take-over.ts) and the method Node's
// server ends a connection's last answer with (replaced: linger.ts).
// Declared once, so a Node upgrade that renames them breaks one type, not scattered casts.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpSocket = Duplex & { _httpMessage?: (ServerResponse & { _last?: boolean }) | null };

export type UpstreamRequest = ClientRequest & { res?: IncomingMessage | null };

/** A socket Node's server handed over: whether its handle reads, and the stream's pending-read flag. */
export type TakenOverSocket = Duplex & { _handle?: { reading?: boolean } | null; _readableState?: { reading: boolean } };

/** How Node's HTTP server closes a socket after its last answer (net.Socket#destroySoon). */
export type LingeringSocket = Duplex & { destroySoon?: () => void };
