// The two fields of Node's HTTP server internals the forwarding code reads (never writes): the
// answer that holds a client socket now, and whether that answer ends the connection (`_last`,
// set by a `Connection: close` field in the answer itself). Declared once, so a Node upgrade
// that renames them breaks one type, not scattered casts.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpSocket = Duplex & { _httpMessage?: (ServerResponse & { _last?: boolean }) | null };
