// The batch an export queue fills span by span, written straight into one growing buffer. Each
// span used to be encoded into bytes of its own and the pieces joined when the batch was sealed:
// a buffer allocated and copied per span, and every piece kept alive (and promoted by the young
// collections) until its batch was sealed, a tenth of a second later under load (issue 10).
// Here a span's bytes are written once, behind the previous span's, and only the batch as a
// whole is copied out.
import { JsonBytes } from './json-bytes.js';

/** How a codec writes a batch one span at a time (codecs.ts). */
export interface Pieces<S> {
  /** Writes one span's encoding at the end of `out`. It may throw: the batch then cuts off what it wrote. */
  encodeInto(out: JsonBytes, span: S): void;
  /** What a batch is framed with: before its first piece, between two, after its last. */
  readonly frame: { readonly open: Uint8Array; readonly separator: Uint8Array; readonly close: Uint8Array };
}

// Room for a full batch (512 spans of about a kilobyte) without regrowing it for every batch.
const KEEP_BYTES = 1024 * 1024;

export class OpenBatch<S> {
  private readonly w: JsonBytes;
  /** Where each piece ends (its separator comes before it). */
  private ends: number[] = [];

  constructor(private readonly pieces: Pieces<S>, initialBytes = 64 * 1024) {
    this.w = new JsonBytes(initialBytes, KEEP_BYTES);
    this.w.bytes(pieces.frame.open);
  }

  /** Spans in the batch. */
  get spans(): number {
    return this.ends.length;
  }

  /** Appends one span; false (and nothing written) when it cannot be encoded. */
  add(span: S): boolean {
    const w = this.w;
    const mark = w.length;
    try {
      if (this.ends.length) w.bytes(this.pieces.frame.separator);
      this.pieces.encodeInto(w, span);
    } catch {
      w.truncate(mark);
      return false;
    }
    this.ends.push(w.length);
    return true;
  }

  /** Drops the `n` oldest spans (a queue over its bound; rare). */
  dropOldest(n: number): void {
    const drop = Math.min(n, this.ends.length);
    if (drop <= 0) return;
    const from = this.pieces.frame.open.length;
    if (drop === this.ends.length) return this.clear();
    // The first kept piece loses its separator: it is the first now.
    const to = this.ends[drop - 1]! + this.pieces.frame.separator.length;
    this.w.cut(from, to);
    const moved = to - from;
    this.ends = this.ends.slice(drop).map((e) => e - moved);
  }

  /** The batch's bytes, framed; the batch is empty afterwards. */
  close(): Uint8Array {
    this.w.bytes(this.pieces.frame.close);
    const body = this.w.take();
    this.clear();
    return body;
  }

  /** Forgets every span in the batch (also after a `close` that threw). */
  clear(): void {
    this.w.reset();
    this.w.bytes(this.pieces.frame.open);
    this.ends = [];
  }
}
