// The close after the last answer on a socket taken over from Node's HTTP server (a refused
// upgrade or CONNECT). Node's server sockets allow half-open connections and the taken-over socket
// has no parser reading it any more: after the proxy ends its side, bytes the client pipelined
// behind stay unread, so the client's FIN is never read either, and the socket (with the request's
// state and in-flight gauge) stays open for good (found by the fuzzer). As nginx's lingering
// close: what the client still sends is read and discarded, and the socket closes once the client
// ends its side or a while after the answer went out, whichever comes first.
import type { Duplex } from 'node:stream';
import type { LingeringSocket } from './node-internals.js';

/** nginx's `lingering_timeout` default. */
export const LINGER_MS = 5000;

export function lingeringClose(socket: Duplex, lingerMs = LINGER_MS): void {
  if (socket.destroyed) return;
  socket.on('error', () => socket.destroy());
  // Flowing with no 'data' listener: what arrives is dropped, and the FIN behind it is read, so
  // the socket closes itself once the answer is out too (a half-closed client still gets it whole).
  socket.resume();
  let timer: NodeJS.Timeout | undefined;
  socket.once('finish', () => { timer = setTimeout(() => socket.destroy(), lingerMs).unref(); });
  socket.once('close', () => clearTimeout(timer));
}

/**
 * The same close for a socket Node's HTTP server still owns, after the answer being written now
 * (a refusal): Node ends such a socket with `destroySoon()`, which destroys it the moment the
 * answer is flushed. With request bytes still unread (the refused request's body, or requests
 * pipelined behind it) that close makes the kernel send an RST, and a client that had not read
 * the answer yet loses it (found by the fuzzer: an `OPTIONS *` with a body got no 400). Here the
 * socket only ends its side; the lingering close above reads what still comes and closes it.
 */
export function lingerAfterAnswer(socket: Duplex): void {
  (socket as LingeringSocket).destroySoon = () => { socket.end(); };
  lingeringClose(socket);
}
