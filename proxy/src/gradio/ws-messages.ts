// The text messages of one direction of a websocket, as JSON captures, with permessage-deflate
// (RFC 7692) undone on the side when the two ends negotiated it (Gradio 3.x's server and both
// official clients do: the browser and Python's `websockets` offer it). With context takeover,
// a direction's messages share one LZ77 window, so one inflater per direction reads them all,
// in order; without it, each message gets its own. Inflated bytes are budgeted per connection,
// by what passed and in all (a small message can inflate to gigabytes: inflate-budget.ts); past
// the budget the direction stops being read.
import { constants, createInflateRaw, type InflateRaw } from 'node:zlib';
import { guarded, guardedListener, Site } from '../guard.js';
import { InflateBudget } from './inflate-budget.js';
import { JsonCapture } from './json-capture.js';
import { FrameReader, type MessageSink } from './ws-frames.js';

/** What the 101 answer's Sec-WebSocket-Extensions agreed on for permessage-deflate, if anything. */
export interface Deflate {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
}

export function negotiatedDeflate(header: string | string[] | undefined): Deflate | undefined {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  for (const ext of value.split(',')) {
    const [name, ...params] = ext.split(';').map((p) => p.trim().toLowerCase());
    if (name !== 'permessage-deflate') continue;
    const has = (p: string) => params.some((x) => x === p || x.startsWith(`${p}=`));
    return { serverNoContextTakeover: has('server_no_context_takeover'), clientNoContextTakeover: has('client_no_context_takeover') };
  }
  return undefined;
}

/** Why a direction stopped being read (`gradio.parse_error`). */
export type ReadProblem = 'too_large' | 'invalid_deflate' | 'too_many_frames';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** The most a connection's direction inflates in all, however much passed (inflate-budget.ts's ratio stops it sooner). */
export const INFLATE_BUDGET = 64 << 20;

interface Inflating {
  readonly z: InflateRaw;
  /** Captures of the messages written to `z` whose output is not complete yet, oldest first. */
  readonly waiting: JsonCapture[];
  /** The connection closed: close `z` once the messages already complete have inflated. */
  closeWhenDone?: boolean;
}

export class MessageReader implements MessageSink {
  private readonly frames = new FrameReader(this);
  private current?: { capture?: JsonCapture; inflating?: Inflating };
  private shared?: Inflating;
  private readonly open = new Set<JsonCapture>();
  private readonly budget = new InflateBudget(INFLATE_BUDGET);
  private stopped = false;

  /**
   * `deflate`: whether this direction's messages may be compressed, and whether the compressor
   * keeps its window between messages. `onMessage` gets each text message when its last byte
   * passed (`at`), before its capture has settled. `onProblem`: the direction stopped being read.
   */
  constructor(
    private readonly deflate: { noContextTakeover: boolean } | undefined,
    private readonly onMessage: (capture: JsonCapture, at: number) => void,
    private readonly onProblem: (kind: ReadProblem) => void,
  ) {}

  feed(chunk: Buffer): void {
    if (!this.stopped) this.frames.feed(chunk);
  }

  start(opcode: number, compressed: boolean): void {
    // Binary messages are not Gradio's; their bytes are skipped.
    const capture = opcode === 1 ? new JsonCapture() : undefined;
    if (capture) this.open.add(capture);
    const inflating = compressed && this.deflate ? this.inflater() : undefined;
    if (inflating && capture) inflating.waiting.push(capture);
    this.current = { capture, inflating };
  }

  data(bytes: Buffer): void {
    const cur = this.current;
    if (!cur || this.stopped) return;
    if (cur.inflating) {
      this.budget.took(bytes.length);
      cur.inflating.z.write(bytes);
    } else cur.capture?.feed(bytes);
  }

  end(): void {
    const cur = this.current;
    this.current = undefined;
    if (!cur || this.stopped) return;
    const at = performance.timeOrigin + performance.now();
    if (cur.capture) this.onMessage(cur.capture, at);
    if (!cur.inflating) return this.finish(cur.capture);
    const { z } = cur.inflating;
    z.write(TRAILER);
    // Every byte this message inflates to has been emitted when its flush completes.
    z.flush(constants.Z_SYNC_FLUSH, guarded(Site.STREAM_MESSAGE, () => {
      if (cur.capture) this.finish(cur.inflating!.waiting.shift());
      if (cur.inflating !== this.shared || (cur.inflating!.closeWhenDone && !cur.inflating!.waiting.length)) z.close();
    }));
  }

  /**
   * No more bytes come (the connection closed). A message cut short ends as it is; messages that
   * arrived whole still inflate to the end: the app's last message (process_completed) usually
   * comes right before it closes the socket, and must not be lost to the close.
   */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    const cut = this.current;
    this.current = undefined;
    if (cut?.capture) {
      const w = cut.inflating?.waiting;
      if (w?.at(-1) === cut.capture) w.pop();
      this.finish(cut.capture);
    }
    const shared = this.shared;
    if (!shared) return;
    if (shared.waiting.length) shared.closeWhenDone = true;
    else shared.z.close();
  }

  /** Stops at once: every open message ends as it is. */
  private abort(): void {
    this.stopped = true;
    this.current = undefined;
    for (const c of this.open) c.end();
    this.open.clear();
    this.shared?.z.close();
  }

  private finish(capture: JsonCapture | undefined): void {
    if (!capture) return;
    this.open.delete(capture);
    capture.end();
  }

  private inflater(): Inflating {
    if (this.shared && !this.deflate!.noContextTakeover) return this.shared;
    const z = createInflateRaw({ windowBits: 15 });
    const inflating: Inflating = { z, waiting: [] };
    guardedListener(z, 'data', Site.STREAM_MESSAGE, (out: Buffer) => {
      if (!this.budget.gave(out.length)) return this.giveUp('too_large');
      inflating.waiting[0]?.feed(out);
    });
    // Always listened to: an 'error' without a listener would end the process.
    z.on('error', () => this.giveUp('invalid_deflate'));
    if (!this.deflate!.noContextTakeover) this.shared = inflating;
    return inflating;
  }

  /** The frame reader's budget is spent (ws-frames.ts): it reads no more. */
  overBudget(): void {
    this.giveUp('too_many_frames');
  }

  private giveUp(kind: ReadProblem): void {
    if (this.open.size === 0 && this.stopped) return;
    this.onProblem(kind);
    this.abort();
  }
}
