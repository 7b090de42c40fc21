// The two idle clocks of the connections to the app, read by one periodic sweep instead of a
// timer per socket and request. As socket timers they were re-armed on every request: Node arms
// the request's own when the socket is assigned, the pool disarms it when the answer ends, the
// proxy arms the free clock and disarms it on reuse. Each arm is a new timer object and a bound
// function, put into Node's timer lists and taken out again: 1-3% of a Gradio join's CPU,
// measured side by side (issue 10). A sweep every few hundred milliseconds looks at the few
// sockets the pool holds.
//
// - Free (`freeMs`): a pooled connection idle that long is closed by the proxy, before the app
//   closes it under a request (stale-connection.ts). The sweep closes it after between 3/4 and
//   7/8 of freeMs: a sweep made late by a busy event loop still keeps it below the app's clock.
// - Busy (`busyMs`): a connection with a request in flight on which no byte moved either way for
//   that long. The request is told ('timeout', as Node's socket timer told it) and destroyed;
//   http-proxy then fails it as a reset (504 or a cut stream, errors.ts). Silence is read from
//   the socket's byte counters, so a long answer that keeps coming is never cut; the verdict
//   comes between busyMs and busyMs plus two sweeps.
import type { Agent, ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

export interface IdleLimits {
  /** ms a pooled connection may sit free (0: until the app closes it). */
  readonly freeMs: number;
  /** ms a connection with a request in flight may stay silent (0: no limit). */
  readonly busyMs: number;
}

/**
 * What the sweep knows of one socket; made once per connection, never per request. The pool's
 * events only mark it (no clock read, no byte count: Node's bytesWritten builds an array): the
 * next sweep starts the clock, which is why each limit is kept to within a sweep or two.
 */
interface Clock {
  free: boolean;
  /** The sweep that first saw the socket in its state, or moving a byte while busy (ms, monotonic); UNSEEN until then. */
  since: number;
  /** bytesRead + bytesWritten at `since`. */
  bytes: number;
}

const UNSEEN = -1;

const CLOCK = Symbol('tts-proxy.idle-clock');
type Clocked = Socket & { [CLOCK]?: Clock; _httpMessage?: ClientRequest | null };

const now = (): number => performance.now();
const moved = (s: Socket): number => s.bytesRead + s.bytesWritten;

/** Sweeps finer than this cost wake-ups for nothing; coarser than 1 s, the clocks drift. */
const MIN_TICK_MS = 5;
const MAX_TICK_MS = 1000;

export class IdleSweep {
  /** How often the sweep runs: an eighth of the shorter clock, within 5 ms and 1 s. */
  readonly tickMs: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly agent: Agent,
    private readonly limits: IdleLimits,
  ) {
    const shortest = Math.min(limits.freeMs || Infinity, limits.busyMs || Infinity);
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(shortest / 8)));
  }

  /** Whether there is any clock to keep. */
  get active(): boolean {
    return this.limits.freeMs > 0 || this.limits.busyMs > 0;
  }

  /** A new connection: its clock runs from now, busy (a request is about to be written on it). */
  created(socket: Socket): void {
    if (!this.active) return;
    (socket as Clocked)[CLOCK] = { free: false, since: UNSEEN, bytes: 0 };
    this.timer ??= setInterval(() => this.sweep(), this.tickMs).unref();
  }

  /** The pool kept the connection after its answer. */
  freed(socket: Socket): void {
    const c = (socket as Clocked)[CLOCK];
    if (!c) return;
    c.free = true;
    c.since = UNSEEN;
  }

  /** The pool hands the connection to a new request. */
  reused(socket: Socket): void {
    const c = (socket as Clocked)[CLOCK];
    if (!c) return;
    c.free = false;
    c.since = UNSEEN;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One look at every socket the pool holds; stops itself when it holds none. This runs from a
   * timer, outside any request: a throw here (a listener of 'timeout', a socket in a state Node
   * did not expect) would end the process, so it costs that one connection instead, as a throw
   * on the forwarding path does (server.ts).
   */
  sweep(): void {
    const t = now();
    let held = 0;
    for (const list of Object.values(this.agent.freeSockets)) {
      for (const s of [...(list ?? [])]) {
        held++;
        this.each(s, t, true);
      }
    }
    for (const list of Object.values(this.agent.sockets)) {
      for (const s of [...(list ?? [])]) {
        held++;
        this.each(s, t, false);
      }
    }
    if (held === 0) this.stop();
  }

  private each(s: Socket, t: number, free: boolean): void {
    try {
      if (free) this.checkFree(s, t);
      else this.checkBusy(s, t);
    } catch {
      s.destroy();
    }
  }

  /** A socket is first seen free up to one sweep after it became free, and closed once freeMs less two sweeps have passed since (see the top). */
  private checkFree(s: Socket, t: number): void {
    const { freeMs } = this.limits;
    const c = (s as Clocked)[CLOCK];
    if (freeMs <= 0 || !c?.free) return;
    if (c.since === UNSEEN) c.since = t;
    else if (t - c.since >= freeMs - 2 * Math.min(this.tickMs, freeMs / 8)) s.destroy();
  }

  private checkBusy(s: Socket, t: number): void {
    const { busyMs } = this.limits;
    const c = (s as Clocked)[CLOCK];
    if (!c || c.free || busyMs <= 0) return;
    const bytes = moved(s);
    if (c.since === UNSEEN || bytes !== c.bytes) {
      c.bytes = bytes;
      c.since = t;
      return;
    }
    if (t - c.since < busyMs) return;
    const req = (s as Clocked)._httpMessage;
    if (!req) return;
    // Told as Node's own socket timer told it; whoever listens decides nothing: it ends here.
    req.emit('timeout');
    req.destroy();
  }
}
