// The fields of Node's HTTP internals the forwarding code reads (never writes): the answer that
// holds a client socket now, whether that answer ends the connection (`_last`, set by a
// `Connection: close` field in the answer itself), and the answer an upstream request got (`res`,
// set the moment its head, or a 101, arrives). Declared once, so a Node upgrade that renames them
// breaks one type, not scattered casts.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpSocket = Duplex & { _httpMessage?: (ServerResponse & { _last?: boolean }) | null };

export type UpstreamRequest = ClientRequest & { res?: IncomingMessage | null };
