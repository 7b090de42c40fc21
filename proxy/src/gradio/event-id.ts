// The event id in a submission's answer (`POST queue/join`, `POST call/<api>`). Gradio answers
// `{"event_id":"<id>"}` and nothing else, and it is the only field the proxy reads, so that exact
// shape is read straight from the bytes: parsing the whole answer as JSON was a tenth of the
// Gradio observer's cost per join (issue 10). Any other bytes go to JSON.parse, so the two paths
// agree on every input (event-id.test.ts holds them equal on random answers).

const PREFIX = Buffer.from('{"event_id":"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;

const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** The id when `b` is exactly `{"event_id":"<printable ASCII, no quote or backslash>"}` plus JSON whitespace; else null. */
function exactShape(b: Buffer): string | null {
  const n = b.length;
  if (n < PREFIX.length + 2 || b.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return null;
  let i = PREFIX.length;
  for (; i < n; i++) {
    const c = b[i]!;
    if (c === QUOTE) break;
    // An escape, a control character or a multi-byte character: JSON's rules, not ours.
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return null;
  }
  if (i + 1 >= n || b[i + 1] !== CLOSE_BRACE) return null;
  for (let j = i + 2; j < n; j++) if (!isJsonSpace(b[j]!)) return null;
  return b.toString('latin1', PREFIX.length, i);
}

function parsed(b: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    const id = v !== null && typeof v === 'object' ? (v as { event_id?: unknown }).event_id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The event id of a whole answer given as its chunks. */
export function eventIdOf(parts: readonly Buffer[]): string | undefined {
  const b = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const fast = exactShape(b);
  return fast !== null ? fast : parsed(b);
}

/** Collects a submission's answer (small: past `limit` bytes it has no event id worth reading). */
export class EventIdAnswer {
  private readonly parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly limit = 16 * 1024) {}

  feed(c: Buffer): void {
    if (this.bytes >= this.limit) return;
    this.parts.push(c);
    this.bytes += c.length;
  }

  eventId(): string | undefined {
    return this.bytes >= this.limit || this.bytes === 0 ? undefined : eventIdOf(this.parts);
  }
}
