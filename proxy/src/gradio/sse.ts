// Incremental server-sent-events tokenizer (WHATWG "event stream" framing), fed by the response
// tee. Pure: no I/O, no timers. Chunk boundaries never match events, and one event may span
// many chunks, so partial lines are carried over — up to a byte budget per event, past which
// the event is dropped and counted instead of growing memory.
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The `event:` field, or 'message' when absent (Gradio's queue/data never names events). */
  readonly event: string;
  readonly data: string;
}

export class SseTokenizer {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private event = '';
  private data: string[] = [];
  private size = 0;
  private skipping = false;
  /** Events dropped because they exceeded the budget. */
  oversized = 0;

  constructor(private readonly maxEventBytes = 1 << 20) {}

  feed(chunk: Buffer): SseEvent[] {
    return this.consume(this.carry + this.decoder.write(chunk));
  }

  /** Flushes a final event that the stream ended without a blank line after (a truncated stream). */
  end(): SseEvent[] {
    const out = this.consume(this.carry + this.decoder.end() + '\n\n');
    this.carry = '';
    return out;
  }

  private consume(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      let line = text.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.line(line, out);
    }
    this.carry = text.slice(start);
    if (this.carry.length > this.maxEventBytes) {
      // A single line beyond the budget: drop it and everything up to the next blank line.
      this.carry = '';
      this.skipping = true;
    }
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.skipping) this.oversized++;
      else if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      this.size = 0;
      this.skipping = false;
      return;
    }
    if (this.skipping || line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.size += value.length;
      if (this.size > this.maxEventBytes) {
        this.skipping = true;
        this.data = [];
        return;
      }
      this.data.push(value);
    } else if (field === 'event') {
      this.event = value;
    }
  }
}
