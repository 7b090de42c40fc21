// RFC 9112 §9.6: once a connection is known to end after an answer (the client's `Connection:
// close` or HTTP/1.0, a request the proxy refuses, Node's own 400 for a missing Host), the server
// processes no further request on it. Node still parses what the client pipelined behind that
// request and hands it over, but its answer can never be written: the socket closes first. Such a
// request is dropped here, before it can run on the app for nobody (found by the fuzzer).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { endLingering } from './linger.js';
import type { HttpSocket } from './node-internals.js';

export class ConnectionEnd {
  private readonly ending = new WeakSet<Duplex>();

  /** Marks `socket` as ending after the answer being queued now (a refusal). */
  last(socket: Duplex): void {
    this.ending.add(socket);
  }

  /**
   * Whether `req` arrived after the last request its connection will answer. Records `req` as
   * that last request when it is one itself.
   */
  isAfterLast(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket as HttpSocket;
    // Node's own answers (a missing Host) hold the socket without passing through our handler.
    const current = socket._httpMessage;
    if (this.ending.has(socket) || socket.destroyed || socket.writableEnded || (current && current !== res && (current.shouldKeepAlive === false || current._last === true))) return true;
    if (!res.shouldKeepAlive) this.ending.add(socket);
    return false;
  }

  /**
   * Whether `socket`'s connection has had (or is writing) its last answer. For an upgrade or a
   * CONNECT, which reach the proxy without a response of their own to judge them by.
   */
  ended(socket: Duplex): boolean {
    return this.ending.has(socket) || socket.destroyed || socket.writableEnded;
  }
}

/**
 * An upgrade or a CONNECT read behind a connection's last answer: Node's parser still reads while
 * the connection lingers, and hands them over as on any connection (a websocket handshake behind a
 * refused `OPTIONS *` reached the app: found by the fuzzer). Never served; the socket, now the
 * proxy's, closes the lingering way.
 */
export function dropTakenOverAfterLast(socket: Duplex): void {
  endLingering(socket);
  // Already lingering before Node handed it over, it may have been paused since.
  socket.resume();
}

/** Drops a request that will never be answered: its body is drained, nothing is forwarded. */
export function dropAfterLast(req: IncomingMessage): void {
  req.on('error', () => undefined);
  req.resume();
}

/**
 * RFC 9112 §9.3: a `close` connection option ends the connection after this answer, whatever the
 * version, and nginx agrees; Node's parser keeps an HTTP/1.0 connection alive when `keep-alive` is
 * listed too (found by the fuzzer). Read from the raw lines: every Connection line counts.
 */
export function honourClose(req: IncomingMessage, res: ServerResponse): void {
  if (!res.shouldKeepAlive) return;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== 'connection') continue;
    if (raw[i + 1]!.split(',').some((t) => t.trim().toLowerCase() === 'close')) {
      res.shouldKeepAlive = false;
      return;
    }
  }
}

/**
 * The Connection field of every answer written on a client connection, forwarded or the proxy's
 * own: whether the connection goes on after it, as the client asked (its `close`, its version).
 * Always stated, because Node otherwise decides at writeHead, and turns keep-alive off for an
 * `Expect: 100-continue` request that got no `100 Continue` (an answer ready before its turn gets
 * none: continue.ts), by then after the requests pipelined behind it may have gone to the app,
 * which then answered them for nobody (found by the fuzzer). Keeping the connection is RFC 9110
 * §10.1.1's other choice for such a request: the proxy reads the rest of its body, as it does
 * for any answer that comes before the body's end (discard-body.ts).
 */
export function connectionFieldFor(res: ServerResponse): 'keep-alive' | 'close' {
  return res.shouldKeepAlive ? 'keep-alive' : 'close';
}
