// A token bucket holding one second's worth of tokens: forced traces (force.ts) and tail keeps
// (tail.ts) are each capped per second, with a second of burst. Five lines of arithmetic on a
// clock the tests can move; a rate-limiter library would bring its own timers.

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly cap: number;

  constructor(private readonly perSecond: number, private readonly now: () => number) {
    this.cap = Math.max(1, perSecond);
    this.tokens = this.cap;
    this.last = now();
  }

  /** Takes a token if one is there. */
  take(): boolean {
    if (!this.ready()) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is there now, without taking it. */
  ready(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.cap, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    return this.tokens >= 1;
  }
}
