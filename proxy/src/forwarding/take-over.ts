// The moment a socket leaves Node's HTTP server (an upgrade or a CONNECT) for the proxy's own
// handling. Until then Node's parser consumed the socket's reads in C++, so the JS stream still
// holds the "a read is pending" flag it set when the socket was created, a read no push will ever
// answer. If Node stopped the handle just then (a request body behind it was backing up, or
// answers were), that flag keeps every later resume() or pipe() from starting the handle again:
// the client's websocket frames, or its FIN after a refusal, were never read, and the request
// stayed in flight for good (found by the fuzzer; Node 20). Clearing the flag hands the next
// reader a stream that starts the handle when asked, as a fresh socket would.
import type { Duplex } from 'node:stream';
import type { TakenOverSocket } from './node-internals.js';

export function takeOver(socket: Duplex): void {
  const s = socket as TakenOverSocket;
  if (s.destroyed || !s._handle || s._handle.reading) return;
  const state = s._readableState;
  if (state?.reading) state.reading = false;
}
