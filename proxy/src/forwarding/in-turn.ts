// Node hands over the socket of an upgrade or a CONNECT at once, even while answers to requests
// pipelined before it are still being written. Answering then would put this answer before
// theirs and cut them, so it waits its turn, as nginx does (found by the fuzzer). While it
// waits, the earlier answers must still be able to finish, but Node has taken its own listeners
// off the socket:
// - 'error': a client leaving would fail their write with nobody listening, and end the process;
// - 'drain': an answer that filled the socket's buffer would wait for it forever (a hang).
import type { Duplex } from 'node:stream';
import type { Pending } from './malformed.js';
import type { HttpSocket } from './node-internals.js';
import { takeOver } from './take-over.js';

export function makeInTurn(pending: Pending, run: (socket: Duplex, fn: () => void) => void) {
  return (socket: Duplex, fn: () => void): void => {
    takeOver(socket);
    socket.on('error', () => socket.destroy());
    if (!pending.busy(socket)) return run(socket, fn);
    const drain = () => {
      const answering = (socket as HttpSocket)._httpMessage;
      if (answering && !answering.writableFinished) answering.emit('drain');
    };
    socket.on('drain', drain);
    socket.pause();
    pending.whenIdle(socket, () => setImmediate(() => {
      socket.off('drain', drain);
      if (socket.destroyed) return;
      socket.resume();
      run(socket, fn);
    }));
  };
}
