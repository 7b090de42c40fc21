// The close after the last answer on a socket: a refusal, an Upgrade answered as plain HTTP on the
// socket Node handed over, an answer that is last because the client asked for it (`Connection:
// close`, HTTP/1.0), or one Node's server writes itself (a missing Host), and the close after bytes
// Node cannot parse. Node closes such a socket the moment the answer is flushed; with request bytes
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

// A socket can reach more than one of the paths above (bytes Node cannot parse behind a
// `Connection: close` request): it lingers once.
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

// Node's server ends a connection after its last answer in one place, `socket.destroySoon()` (its
// resOnFinish), whoever decided the answer was last: a refusal, the client's `Connection: close`
// or HTTP/1.0, or an answer Node writes itself without the proxy's handler (a 400 for a missing
// Host). `destroySoon` destroys the socket the moment the answer is flushed. One function, not a
// closure per connection: it only ends the socket's side and lets the lingering close above read
// what still comes (Node's parser hands any request in it to the server, which drops it:
// connection-end.ts) and close it.
function destroySoonLingering(this: Duplex): void {
  endLingering(this);
}

/** Makes every close Node's HTTP server does after a connection's last answer a lingering one. */
export function lingerOnLastAnswer(socket: Duplex): void {
  (socket as LingeringSocket).destroySoon = destroySoonLingering;
}

/** Ends the proxy's side of `socket` (once) and lets it close the lingering way. */
export function endLingering(socket: Duplex): void {
  lingeringClose(socket);
  if (!socket.writableEnded) socket.end();
}
