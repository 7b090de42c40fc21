// `Expect: 100-continue` is answered by this hop (the app gets no Expect; hop-by-hop.ts). Node's
// own answer goes wrong on a pipelined request: it buffers `100 Continue` while the response
// waits its turn, then, when the final head is written, puts the head in front of everything
// buffered (OutgoingMessage._send), so the client reads "HTTP/1.1 100 Continue" inside the body
// (found by the fuzzer). The interim answer is written only when it can go out in order: at
// once, or when the response gets the socket, if the final head is not there first. RFC 9110
// §10.1.1 lets a server skip it once the final answer is ready.
import type { IncomingMessage, ServerResponse } from 'node:http';

export function answerContinue(res: ServerResponse): void {
  if (res.socket) return void res.writeContinue();
  res.once('socket', () => { if (!res.headersSent) res.writeContinue(); });
}

/** The server's 'checkContinue' listener: the interim answer, then the request as usual. */
export function onCheckContinue(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    answerContinue(res);
    handle(req, res);
  };
}
