// A malformed request from a client: answered 400 and the connection closed, but only in its
// turn. Node reports a parse error the moment it reads the bytes, while requests pipelined before
// the bad one may still be waiting for the app; nginx reads a pipelined request only after it has
// answered the previous ones, so those get their answers first. Closing at once (Node's default,
// and ours before the fuzzer found it) cut answers that had nothing wrong with them.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { endLingering, lingeringClose } from './linger.js';

const ANSWER: Record<string, string> = {
  // Node's own timers for a slow request head.
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

const answerFor = (code: string | undefined): string =>
  `HTTP/1.1 ${ANSWER[code ?? ''] ?? '400 Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;

/** Responses still being answered on each client connection. */
export class Pending {
  private readonly open = new WeakMap<Duplex, Set<ServerResponse>>();
  private readonly waiting = new WeakMap<Duplex, () => void>();

  track(socket: Duplex, res: ServerResponse): void {
    let set = this.open.get(socket);
    if (!set) this.open.set(socket, (set = new Set()));
    set.add(res);
    // One listener for every response, not a closure per request: 'close' comes once, and the
    // response still names its request, whose socket is the one tracked here.
    res.on('close', this.closed);
  }

  private readonly closed = ((pending: Pending) => function (this: ServerResponse): void {
    const socket = this.req.socket;
    pending.open.get(socket)?.delete(this);
    pending.waiting.get(socket)?.();
  })(this);

  /** Answers on `socket` are still being written. */
  busy(socket: Duplex): boolean {
    return !!this.open.get(socket)?.size;
  }

  /** A request on `socket` whose body has not all arrived (the bad bytes cut it). */
  cutShort(socket: Duplex): boolean {
    for (const res of this.open.get(socket) ?? []) if (!res.req.complete) return true;
    return false;
  }

  /**
   * Calls `then` once every answer on `socket` has been written (or the connection died); with
   * `wholeOnly`, once the answers to every request that arrived whole have.
   */
  whenIdle(socket: Duplex, then: () => void, wholeOnly = false): void {
    const idle = () => {
      for (const res of this.open.get(socket) ?? []) if (!wholeOnly || res.req.complete) return false;
      return true;
    };
    if (idle()) return then();
    let done = false;
    const once = () => {
      if (done || (!socket.destroyed && !idle())) return;
      done = true;
      this.waiting.delete(socket);
      then();
    };
    this.waiting.set(socket, once);
    socket.once('close', once);
  }
}

export function onClientError(pending: Pending) {
  // Node's parser stays in its error state and reports every chunk read after the bad bytes
  // again: the first report decides how the connection ends.
  const handled = new WeakSet<Duplex>();
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (handled.has(socket)) return;
    handled.add(socket);
    socket.on('error', () => socket.destroy());
    // The bad bytes (or the client's FIN) fell inside a request already on its way to the app: its
    // body can never end, so neither can its answer, and waiting for it would hold the connection
    // and the request for good (found by the fuzzer: a client that leaves mid-body). nginx ends
    // such a request and closes ("client prematurely closed connection"), after answering the
    // requests before it; so does the proxy, and the close aborts the cut request upstream.
    // Nothing after the bad bytes is parsed into a request: the parser cannot say where the next
    // one starts. They stay unread until the answers before them are out; then the connection
    // closes the lingering way (linger.ts), which reads and drops them, so that the close is not
    // a reset that loses those answers (a request pipelined behind a `Connection: close` one is
    // such bytes to Node's parser: test/e2e/lingering-close.test.ts).
    socket.pause();
    if (pending.cutShort(socket)) {
      return void pending.whenIdle(socket, () => endLingering(socket), true);
    }
    pending.whenIdle(socket, () => {
      lingeringClose(socket);
      // Already ended when the last answer closed the connection itself (`Connection: close`).
      if (socket.writable) socket.end(answerFor(err.code));
    });
  };
}
