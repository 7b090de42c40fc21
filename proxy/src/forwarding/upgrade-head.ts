// http-proxy writes the head of an answer to a websocket handshake (101, or the app's refusal)
// onto the client's socket as a string, which Node encodes as UTF-8: a header byte above 0x7F
// would reach the client as two (found by the fuzzer). The head is made of strings Node parsed
// as latin1, one character per byte, so writing strings as latin1 gives back the app's bytes.
// Everything else on such a socket (the tunnel, the body of a refusal) is written as Buffers.
import type { Duplex } from 'node:stream';

export function writeStringsAsLatin1(socket: Duplex): void {
  const write = socket.write;
  socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    return (write as (...args: unknown[]) => boolean).call(this, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, ...rest);
  } as Duplex['write'];
}
