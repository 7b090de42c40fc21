// WebSocket framing (RFC 6455 §5) read alongside a proxied connection, for Gradio 3.x, whose
// queue runs over a websocket. Written here because the one maintained parser (ws's Receiver)
// acts on what it reads: it validates, closes on a protocol error and cannot be given the
// permessage-deflate parameters the two ends negotiated through its public API. An observer
// must do none of that: it follows frame boundaries, hands each data message's payload on in
// order (unmasked, as a copy: the bytes it was given go on to the other end untouched) and
// stops reading, silently, at anything it does not understand. The forwarded bytes never
// depend on it.

/** Where the payload of each data message goes. */
export interface MessageSink {
  /** A message begins: opcode 1 (text) or 2 (binary); `compressed` when its first frame has RSV1. */
  start(opcode: number, compressed: boolean): void;
  /** The next payload bytes of the current message (a copy the sink may keep). */
  data(bytes: Buffer): void;
  /** The current message is complete. */
  end(): void;
  /** The frame budget is spent: nothing more is read (once, after the current message ended). */
  overBudget?(): void;
}

const MAX_HEADER = 14;

/**
 * Frames read per direction beyond one per FRAME_FREE_BYTES. A frame costs the reader and the
 * capture behind it a few microseconds whatever its size, so a flood of one-byte frames cost the
 * proxy about half a second of event loop per MiB a client sent. A Gradio message is tens of
 * bytes at least, so a real connection earns more frames than it spends; the base covers a few
 * short ones (hashes, estimations) before the bytes add up.
 */
export const FRAME_BUDGET = 1000;
export const FRAME_FREE_BYTES = 64;

export class FrameReader {
  private readonly header = Buffer.alloc(MAX_HEADER);
  private headerLen = 0;
  private need = 2;
  private inPayload = false;
  private remaining = 0;
  private mask: Buffer | undefined;
  private maskOffset = 0;
  private control = false;
  private fin = false;
  private inMessage = false;
  /** Past a close frame or a frame it cannot follow: nothing more is read. */
  private stopped = false;
  private frames = 0;
  private bytes = 0;

  constructor(private readonly sink: MessageSink) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  feed(chunk: Buffer): void {
    if (this.stopped) return;
    this.bytes += chunk.length;
    let i = 0;
    while (i < chunk.length && !this.stopped) {
      if (!this.inPayload) {
        const take = Math.min(this.need - this.headerLen, chunk.length - i);
        chunk.copy(this.header, this.headerLen, i, i + take);
        this.headerLen += take;
        i += take;
        if (this.headerLen < this.need) return;
        if (this.headerLen === 2) {
          const len7 = this.header[1]! & 0x7f;
          this.need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.header[1]! & 0x80 ? 4 : 0);
          if (this.need > 2) continue;
        }
        this.beginFrame();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      const part = chunk.subarray(i, i + take);
      i += take;
      this.remaining -= take;
      if (!this.control && this.inMessage) this.sink.data(this.unmask(part));
      else this.maskOffset += take;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private beginFrame(): void {
    if (++this.frames > FRAME_BUDGET + this.bytes / FRAME_FREE_BYTES) {
      this.stop();
      this.sink.overBudget?.();
      return;
    }
    const h = this.header;
    const b0 = h[0]!;
    this.fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const len7 = h[1]! & 0x7f;
    let at = 2;
    let length: number;
    if (len7 === 126) { length = h.readUInt16BE(2); at = 4; }
    else if (len7 === 127) {
      const big = h.readBigUInt64BE(2);
      at = 10;
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return this.stop();
      length = Number(big);
    } else length = len7;
    this.mask = h[1]! & 0x80 ? Buffer.from(h.subarray(at, at + 4)) : undefined;
    this.maskOffset = 0;
    this.control = opcode >= 8;
    if (this.control) {
      // A control frame may come between the frames of a message; a close ends the reading.
      if (!this.fin || length > 125 || opcode > 10) return this.stop();
      if (opcode === 8) this.stopped = true;
    } else if (opcode === 0) {
      if (!this.inMessage) return this.stop();
    } else if (opcode === 1 || opcode === 2) {
      if (this.inMessage) return this.stop();
      this.inMessage = true;
      this.sink.start(opcode, (b0 & 0x40) !== 0);
    } else return this.stop();
    this.headerLen = 0;
    this.need = 2;
    this.inPayload = true;
    this.remaining = length;
    if (length === 0) this.endFrame();
  }

  private endFrame(): void {
    this.inPayload = false;
    if (!this.control && this.fin && this.inMessage) {
      this.inMessage = false;
      this.sink.end();
    }
  }

  private unmask(part: Buffer): Buffer {
    const out = Buffer.from(part);
    const mask = this.mask;
    if (mask) {
      const o = this.maskOffset;
      for (let k = 0; k < out.length; k++) out[k] = out[k]! ^ mask[(o + k) & 3]!;
    }
    this.maskOffset += part.length;
    return out;
  }

  private stop(): void {
    this.stopped = true;
    if (this.inMessage) {
      this.inMessage = false;
      this.sink.end();
    }
  }
}
