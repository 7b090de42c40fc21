// The close after the last answer on a socket taken over from Node's HTTP server (a refused
// upgrade or CONNECT). Node's server sockets allow half-open connections and the taken-over socket
// has no parser reading it any more: after the proxy ends its side, bytes the client pipelined
// behind stay unread, so the client's FIN is never read either, and the socket (with the request's
// state and in-flight gauge) stays open for good (found by the fuzzer). As nginx's lingering
// close: what the client still sends is read and discarded, and the socket closes once the client
// ends its side or a while after the answer went out, whichever comes first.
import type { Duplex } from 'node:stream';

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
