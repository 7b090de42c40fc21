// An Upgrade the proxy does not speak (h2c, TLS/1.0, anything but websocket) is served as the plain
// HTTP/1.1 request it also is: RFC 9110 §7.8 lets a server ignore Upgrade, and nginx does. Node has
// already detached its parser and handed over the socket, so this builds the response object Node
// would have built and, for a body, the stream its parser would have fed.
import { ServerResponse, type IncomingMessage } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { endLingering } from './linger.js';
import { RefusalReason, type Refusal } from './request-checks.js';

export interface PlainExchange {
  readonly res: ServerResponse;
  /** The request body read off the socket; undefined when the request has none. */
  readonly body?: Readable;
}

export function asPlainExchange(req: IncomingMessage, socket: Duplex, head: Buffer): PlainExchange | Refusal {
  if (req.headers['transfer-encoding'] !== undefined) {
    return { status: 501, reason: RefusalReason.UPGRADE_BODY, message: 'a chunked body on a non-websocket Upgrade request is not supported' };
  }
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  // One exchange only: the parser is gone, so nothing after this request can be read.
  res.shouldKeepAlive = false;
  // Node's server took its 'drain' relay off the socket with the parser: without this a body
  // that fills the socket's buffer waits forever (found by the fuzzer).
  const drain = (): void => { res.emit('drain'); };
  socket.on('drain', drain);
  res.once('close', () => socket.off('drain', drain));
  // The answer is the connection's last, and requests pipelined behind it are never read: closing
  // with them unread would make the kernel reset the connection, and a client that had not read
  // the answer yet would lose it (found by the fuzzer). So it closes the lingering way, as the
  // refusals on taken-over sockets do.
  res.on('finish', () => {
    res.detachSocket(socket as never);
    endLingering(socket);
  });
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length <= 0) return { res };
  const body = new PassThrough();
  let left = length;
  const take = (chunk: Buffer): void => {
    if (left <= 0) return;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    body.write(part);
    if (left === 0) {
      socket.off('data', take);
      body.end();
    }
  };
  take(head);
  if (left > 0) socket.on('data', take);
  return { res, body };
}

export const isRefusal = (x: PlainExchange | Refusal): x is Refusal => 'status' in x;
