// The close after the last answer on a socket: a refusal, an Upgrade answered as plain HTTP on the
// socket Node handed over, or an answer that is last because the client asked for it (`Connection:
// close`, HTTP/1.0). Node closes such a socket the moment the answer is flushed; with request bytes
// the client pipelined behind still unread, the kernel then sends an RST instead of a FIN, and a
// client that had not read the answer yet loses it (found by the fuzzer, twice). A taken-over
// socket has no parser reading it at all, so the client's FIN was never read either, and the
// socket (with the request's state and in-flight gauge) stayed open for good. As nginx's lingering
// close: what the client still sends is read and discarded, and the socket closes once the client
// ends its side or a while after the answer went out, whichever comes first.
import type { Duplex } from 'node:stream';
import type { LingeringSocket } from './node-internals.js';

/** nginx's `lingering_timeout` default. */
export const LINGER_MS = 5000;

// A socket can reach more than one of the paths above (an Upgrade served as plain HTTP is also the
// connection's last answer): it lingers once.
const lingering = new WeakSet<Duplex>();

export function lingeringClose(socket: Duplex, lingerMs = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  socket.on('error', () => socket.destroy());
  // Flowing with no 'data' listener: what arrives is dropped, and the FIN behind it is read, so
  // the socket closes itself once the answer is out too (a half-closed client still gets it whole).
  socket.resume();
  let timer: NodeJS.Timeout | undefined;
  const linger = () => { timer = setTimeout(() => socket.destroy(), lingerMs).unref(); };
  // A socket whose answer is already out (ended before it came here) lingers from now.
  if (socket.writableFinished) linger();
  else socket.once('finish', linger);
  socket.once('close', () => clearTimeout(timer));
}

/**
 * The same close for a socket Node's HTTP server still owns, whose answer being written now is
 * its last: Node ends such a socket with `destroySoon()`, which destroys it the moment the answer
 * is flushed. Here the socket only ends its side; the lingering close above reads what still comes
 * (Node's parser hands any request in it to the server, which drops it: connection-end.ts) and
 * closes it.
 */
export function lingerAfterAnswer(socket: Duplex): void {
  (socket as LingeringSocket).destroySoon = () => { socket.end(); };
  lingeringClose(socket);
}
