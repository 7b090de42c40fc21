// How far observation may inflate what passes compressed (Content-Encoding on an answer,
// permessage-deflate on a websocket). Forwarding costs the proxy per byte passed, inflating per
// byte produced, and deflate reaches about 1000:1: bounded only by an absolute size, a 95 KB
// websocket message cost 40 times what the same bytes cost uncompressed, and a 510 KB gzip answer
// 1.5 s of CPU. Bounded by the bytes passed, a compressed input buys at most a fixed multiple of
// the work its size would, whatever it inflates to. Past the budget the reader stops; the bytes
// still pass untouched.

/** What any body or message may inflate to whatever its ratio (CosyVoice's /config is 29 KB). */
export const INFLATE_FLOOR = 1 << 20;
/**
 * Past the floor, inflated bytes per compressed byte. Gradio's JSON deflates 5-10:1 (CosyVoice's
 * /config 7:1 with gzip, 9:1 with brotli; /info 5.5:1; base64 uploads 4:3); a long run of one byte
 * goes to 1000:1, and all of it is a string the capture only measures.
 */
export const INFLATE_RATIO = 12;

export class InflateBudget {
  private input = 0;
  private output = 0;

  /** `cap`: a bound on the output whatever the input (a websocket direction keeps its 64 MiB). */
  constructor(private readonly cap = Infinity) {}

  /** Compressed bytes passed. */
  took(bytes: number): void {
    this.input += bytes;
  }

  /** Counts inflated bytes; whether the output is still within the budget. */
  gave(bytes: number): boolean {
    this.output += bytes;
    return this.output <= Math.min(this.cap, INFLATE_FLOOR + INFLATE_RATIO * this.input);
  }
}
