// JSON text written straight into bytes, for the span encoder. Every span the proxy records is
// encoded once, on the event loop that forwards requests; building each span as a string made
// some forty intermediate strings per span and a UTF-8 copy of the whole (issue 10: the encoder
// was the largest single allocator per request). A string here is copied byte by byte while it
// is printable ASCII without a quote or backslash, which is nearly every value the proxy records
// (ids, routes, addresses, attribute keys); any other string is written as JSON.stringify escapes
// it, in UTF-8, so the bytes are exactly what `Buffer.from(JSON.stringify(s), 'utf8')` gives.
// Written by hand because no JSON library writes into a reusable buffer without building the text.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// A buffer grown past this for one unusually large span is let go at the next reset: the writer
// lives as long as the process, and most spans are about a kilobyte.
const KEEP_AT_MOST = 256 * 1024;

export class JsonBytes {
  private buf: Buffer;
  private at = 0;

  /** `keepAtMost`: a buffer grown past this is let go at the next reset. */
  constructor(private readonly initialBytes = 4096, private readonly keepAtMost = KEEP_AT_MOST) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
  }

  reset(): void {
    this.at = 0;
    if (this.buf.length > this.keepAtMost) this.buf = Buffer.allocUnsafe(Math.max(16, this.initialBytes));
  }

  /** Forgets what was written past `length` bytes. */
  truncate(length: number): void {
    this.at = Math.max(0, Math.min(this.at, length));
  }

  /** Removes the bytes in [from, to), moving what follows them down. */
  cut(from: number, to: number): void {
    to = Math.min(to, this.at);
    if (to <= from) return;
    this.buf.copyWithin(from, to, this.at);
    this.at -= to - from;
  }

  /** Bytes written since the last reset. */
  get length(): number {
    return this.at;
  }

  /** Any text as UTF-8, as it is (not JSON-quoted). */
  text(s: string): void {
    // A UTF-16 unit is at most three bytes of UTF-8.
    this.ensure(s.length * 3);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** A copy of what was written since the last reset. */
  take(): Uint8Array {
    const out = Buffer.allocUnsafe(this.at);
    this.buf.copy(out, 0, 0, this.at);
    return out;
  }

  /** Text that is already JSON and ASCII (punctuation, numbers, quoted constants). */
  raw(ascii: string): void {
    const n = ascii.length;
    this.ensure(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = ascii.charCodeAt(i);
    this.at = at;
  }

  /** One ASCII character of JSON punctuation. */
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.at++] = c;
  }

  /** Bytes that are already JSON (a constant encoded once). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /**
   * A number as JSON.stringify writes it. Integers (every time and duration in a span) are
   * written digit by digit: the general number-to-text conversion was a sixth of the encoding.
   */
  number(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) return this.raw(Number.isFinite(n) ? String(n) : 'null');
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.ensure(digits);
    const buf = this.buf;
    let at = this.at + digits;
    this.at = at;
    let x = n;
    do {
      const q = Math.floor(x / 10);
      buf[--at] = 0x30 + (x - q * 10);
      x = q;
    } while (x > 0);
  }

  /** `s` as a JSON string, quotes included. */
  string(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const buf = this.buf;
    const start = this.at;
    let at = start;
    buf[at++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7f || c === QUOTE || c === BACKSLASH) {
        this.at = start;
        return this.escaped(s);
      }
      buf[at++] = c;
    }
    buf[at++] = QUOTE;
    this.at = at;
  }

  private escaped(s: string): void {
    const json = JSON.stringify(s);
    // A UTF-16 unit is at most three bytes of UTF-8.
    this.ensure(json.length * 3);
    this.at += this.buf.write(json, this.at, 'utf8');
  }

  private ensure(more: number): void {
    const need = this.at + more;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}
