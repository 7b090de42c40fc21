// Bounded JSON capture for request/response bodies seen by the tee. Bodies are usually small
// (a queue/join references uploads by path), but Gradio 3.x inlines audio as multi-megabyte
// base64 strings, so the body is tokenised as a stream (stream-json) and long strings are kept
// only as their length plus a head — enough to read an audio header, never the whole payload.
import StreamJson from 'stream-json';
import { guardedListener, Site } from '../guard.js';

/** A string too long to keep: its length in characters and its first characters. */
export interface LongString {
  readonly kind: 'long-string';
  readonly length: number;
  readonly head: string;
}

export type Captured = null | boolean | number | string | LongString | Captured[] | { [key: string]: Captured };

export interface CaptureLimits {
  /** Strings up to this many characters are kept whole. */
  readonly maxString: number;
  /** Characters kept from the head of a longer string. */
  readonly headChars: number;
  /** Values (nodes) kept in total; past this the capture stops and is marked truncated. */
  readonly maxNodes: number;
  /** Containers nested deeper than this are kept as `null` and the result is marked `tooDeep`. */
  readonly maxDepth?: number;
  /**
   * Tokens a streamed body may cost beyond one per TOKEN_FREE_BYTES of it, kept or skipped
   * (default: tokensFor(maxNodes)); past it the capture stops reading and is marked truncated.
   * The node budget alone left the tokens of a too-deep part, and everything after a truncation,
   * to be tokenized to the body's end.
   */
  readonly maxTokens?: number;
}

/**
 * The token budget for a node budget: a kept value costs its token and, in a container, a key or
 * an end token; the rest leaves room for a too-deep part skipped on the way (issue 9) whose
 * siblings are still read.
 */
export const tokensFor = (maxNodes: number): number => 5 * maxNodes;

/**
 * The tokenizer cuts a plain string into a chunk per 256 characters, and an inline audio upload
 * (Gradio 3.x: megabytes of base64) is such a string: one token per 256 bytes of body is free, so
 * a long plain string is read to its end (its length is an attribute). What the budget stops is a
 * body denser in tokens than that (`[0,0,…`, `[[[…`, a string of escapes: one token per 2-3 bytes),
 * which cost the event loop about 0.1-0.2 µs a token, seconds for a body nginx lets through.
 */
const TOKEN_FREE_BYTES = 256;

/** Gradio payloads nest a handful of levels (updates inside outputs inside data); 64 is generous. */
export const MAX_DEPTH = 64;

export const DEFAULT_LIMITS: CaptureLimits = { maxString: 16 * 1024, headChars: 64 * 1024, maxNodes: 20_000, maxDepth: MAX_DEPTH };

export interface CaptureResult {
  readonly value?: Captured;
  /** The body was not valid JSON. */
  readonly invalid: boolean;
  /** The capture stopped at a limit: the value is partial. */
  readonly truncated: boolean;
  /** Some containers were nested beyond `maxDepth` and are kept as `null`. */
  readonly tooDeep?: boolean;
}

type Token = { name: string; value?: string };

export function isLongString(v: unknown): v is LongString {
  return typeof v === 'object' && v !== null && (v as LongString).kind === 'long-string';
}

/**
 * Applies the same limits as the streaming path to a value JSON.parse produced, as a copy.
 * Iterative with an explicit stack: the input decides the nesting, so recursion would let it
 * decide the call-stack depth too.
 */
export function capValue(root: unknown, limits: CaptureLimits): { value: Captured | undefined; truncated: boolean; tooDeep: boolean } {
  type Frame = { out: Captured[] | Record<string, Captured>; it: Iterator<[string | number, unknown]>; depth: number };
  const maxDepth = limits.maxDepth ?? MAX_DEPTH;
  let nodes = 0;
  let truncated = false;
  let tooDeep = false;
  const make = (v: unknown, depth: number): { value: Captured; frame?: Frame } | undefined => {
    if (++nodes > limits.maxNodes) {
      truncated = true;
      return undefined;
    }
    if (typeof v === 'string') {
      return { value: v.length <= limits.maxString ? v : { kind: 'long-string', length: v.length, head: v.slice(0, limits.headChars) } };
    }
    if (v && typeof v === 'object') {
      if (depth >= maxDepth) {
        tooDeep = true;
        return { value: null };
      }
      const out: Captured[] | Record<string, Captured> = Array.isArray(v) ? [] : {};
      const it = (Array.isArray(v) ? v.entries() : Object.entries(v)[Symbol.iterator]()) as Iterator<[string | number, unknown]>;
      return { value: out, frame: { out, it, depth: depth + 1 } };
    }
    return { value: v as Captured };
  };
  const first = make(root, 0);
  if (!first) return { value: undefined, truncated, tooDeep };
  const stack: Frame[] = first.frame ? [first.frame] : [];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const next = top.it.next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const [k, v] = next.value;
    // A key named __proto__ would replace the prototype of the captured object.
    if (k === '__proto__') continue;
    const c = make(v, top.depth);
    if (!c) break;
    if (Array.isArray(top.out)) top.out.push(c.value);
    else top.out[k] = c.value;
    if (c.frame) stack.push(c.frame);
  }
  return { value: first.value, truncated, tooDeep };
}

/**
 * Whether capValue would give back `root` unchanged: no more values than maxNodes, no string
 * longer than maxString, no container at maxDepth, no `__proto__` key. Then the parsed value is
 * the capture itself, without a copy (a join's body is small and within every limit: the copy was
 * most of what capturing it allocated, issue 10). A walk with an explicit stack, as capValue's.
 */
export function fitsLimits(root: unknown, limits: CaptureLimits): boolean {
  const maxDepth = limits.maxDepth ?? MAX_DEPTH;
  let nodes = 0;
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  while (stack.length) {
    const v = stack.pop();
    const depth = depths.pop()!;
    if (++nodes > limits.maxNodes) return false;
    if (typeof v === 'string') {
      if (v.length > limits.maxString) return false;
    } else if (v && typeof v === 'object') {
      if (depth >= maxDepth) return false;
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) {
          stack.push(v[i]);
          depths.push(depth + 1);
        }
      } else {
        for (const k of Object.keys(v)) {
          if (k === '__proto__') return false;
          stack.push((v as Record<string, unknown>)[k]);
          depths.push(depth + 1);
        }
      }
    }
  }
  return true;
}

/**
 * Feed it chunks; `result` resolves after `end()`. Never throws: a malformed body resolves with
 * `invalid: true`. Memory is bounded by the limits, not by the body size.
 */
/** Bodies up to this size are parsed with JSON.parse at the end: far cheaper than tokenising. */
const FAST_PATH_BYTES = 64 * 1024;

export class JsonCapture {
  private parser?: ReturnType<typeof StreamJson.parser>;
  private small: Buffer[] | undefined = [];
  private smallBytes = 0;
  private outcome?: CaptureResult;
  /** Made only when `result` is asked for before there is one: the usual join reads `settled`. */
  private waiting?: { readonly promise: Promise<CaptureResult>; readonly resolve: (r: CaptureResult) => void };
  private readonly stack: { container: Captured[] | Record<string, Captured>; key?: string }[] = [];
  private root: Captured | undefined;
  private hasRoot = false;
  private nodes = 0;
  private truncated = false;
  private invalid = false;
  private str: string[] = [];
  private strLen = 0;
  private strHeadLen = 0;
  private done = false;
  private tooDeep = false;
  /** Inside a container past maxDepth: how many levels still to close before tokens count again. */
  private skipping = 0;
  private tokens = 0;
  private streamedBytes = 0;
  private readonly maxTokens: number;

  constructor(private readonly limits: CaptureLimits = DEFAULT_LIMITS) {
    this.maxTokens = limits.maxTokens ?? tokensFor(limits.maxNodes);
  }

  /**
   * Whether more of the body can still change the result: false once it has ended, failed to
   * parse, or hit a budget. A caller that decodes the body first stops decoding then (decode.ts).
   */
  get wantsMore(): boolean {
    return !this.done && !this.invalid && !this.truncated;
  }

  /**
   * A budget outside the capture is spent (what its bytes inflate from, inflate-budget.ts): the
   * value so far is the result, marked truncated, as at a budget of its own.
   */
  truncate(): void {
    if (!this.wantsMore) return;
    // Never in practice (the floor is far past the fast path), but a buffered body cut here is not one to parse.
    this.small = undefined;
    this.stopReading();
  }

  /** A budget is spent: nothing read from here on could change the result, so nothing more is read. */
  private stopReading(): void {
    this.truncated = true;
    // The tokenizer is dropped with what it still holds; `end` resolves without it.
    this.parser = undefined;
  }

  /** Resolves once the body is parsed (never rejects). */
  get result(): Promise<CaptureResult> {
    if (this.outcome) return Promise.resolve(this.outcome);
    if (!this.waiting) {
      let resolve!: (r: CaptureResult) => void;
      const promise = new Promise<CaptureResult>((r) => { resolve = r; });
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** The first result stands, as a promise's would. */
  private resolve(r: CaptureResult): void {
    if (this.outcome) return;
    this.outcome = r;
    this.waiting?.resolve(r);
  }

  /** The result once there is one: a small body has it the moment it ends, without a turn's wait. */
  get settled(): CaptureResult | undefined {
    return this.outcome;
  }

  private startStreaming(): void {
    const parser = StreamJson.parser({ packKeys: true, streamKeys: false, packStrings: false, packNumbers: true, streamNumbers: false });
    const finish = () => this.resolve({ value: this.hasRoot && !this.invalid ? this.root : undefined, invalid: this.invalid, truncated: this.truncated, tooDeep: this.tooDeep });
    guardedListener(parser, 'data', Site.JSON_TOKEN, (t: Token) => { if (this.parser === parser && !this.invalid) this.token(t); });
    // Always listened to (an 'error' without a listener would throw); resolving is not optional.
    // A tokenizer dropped at a budget may still fail on the rest of a chunk it was given: by then
    // the result is the value so far (`end`), not what that rest would have made it.
    parser.on('error', () => { if (this.parser !== parser) return; this.invalid = true; finish(); });
    parser.on('end', () => { if (this.parser === parser) finish(); });
    this.parser = parser;
    for (const c of this.small ?? []) {
      this.streamedBytes += c.length;
      parser.write(c);
    }
    this.small = undefined;
  }

  /** The value built so far (objects fill in as tokens arrive); undefined before the first token. */
  partial(): Captured | undefined {
    return this.invalid ? undefined : this.root;
  }

  /** Whether the body is parsed at the end (small) rather than token by token. */
  get buffered(): boolean {
    return this.small !== undefined;
  }

  feed(chunk: Buffer): void {
    if (!this.wantsMore) return;
    if (this.small) {
      this.small.push(chunk);
      this.smallBytes += chunk.length;
      if (this.smallBytes > FAST_PATH_BYTES) this.startStreaming();
      return;
    }
    this.streamedBytes += chunk.length;
    this.parser?.write(chunk);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    if (this.small) {
      let parsed: unknown;
      try {
        // Nearly always one chunk: read in place rather than copied first.
        const body = this.small.length === 1 ? this.small[0]! : Buffer.concat(this.small, this.smallBytes);
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        this.resolve({ invalid: true, truncated: false });
        return;
      }
      this.small = undefined;
      const c = fitsLimits(parsed, this.limits) ? { value: parsed as Captured, truncated: false, tooDeep: false } : capValue(parsed, this.limits);
      const value = c.value ?? null;
      this.root = value;
      this.hasRoot = true;
      this.truncated = c.truncated;
      this.tooDeep = c.tooDeep;
      this.resolve({ value, invalid: false, truncated: this.truncated, tooDeep: this.tooDeep });
      return;
    }
    if (!this.parser) {
      // Stopped at a budget: the value so far is the result, whatever the rest of the body was.
      this.resolve({ value: this.hasRoot ? this.root : undefined, invalid: false, truncated: true, tooDeep: this.tooDeep });
      return;
    }
    this.parser.end();
    this.parser.resume();
  }

  private add(v: Captured): void {
    if (++this.nodes > this.limits.maxNodes) {
      this.stopReading();
      return;
    }
    const top = this.stack.at(-1);
    if (!top) {
      this.root = v;
      this.hasRoot = true;
    } else if (Array.isArray(top.container)) {
      top.container.push(v);
    } else if (top.key !== undefined) {
      if (top.key !== '__proto__') top.container[top.key] = v;
      top.key = undefined;
    }
  }

  private token(t: Token): void {
    if (++this.tokens > this.maxTokens + this.streamedBytes / TOKEN_FREE_BYTES) {
      this.stopReading();
      return;
    }
    const opens = t.name === 'startObject' || t.name === 'startArray';
    if (this.skipping) {
      if (opens) this.skipping++;
      else if (t.name === 'endObject' || t.name === 'endArray') this.skipping--;
      return;
    }
    if (opens && this.stack.length >= (this.limits.maxDepth ?? MAX_DEPTH)) {
      // Same as the fast path: the too-deep container stands as null, its siblings are kept.
      this.tooDeep = true;
      this.add(null);
      this.skipping = 1;
      return;
    }
    switch (t.name) {
      case 'startObject': {
        const o: Record<string, Captured> = {};
        this.add(o);
        this.stack.push({ container: o });
        return;
      }
      case 'startArray': {
        const a: Captured[] = [];
        this.add(a);
        this.stack.push({ container: a });
        return;
      }
      case 'endObject':
      case 'endArray':
        this.stack.pop();
        return;
      case 'keyValue': {
        const top = this.stack.at(-1);
        if (top) top.key = t.value;
        return;
      }
      case 'startString':
        this.str = [];
        this.strLen = 0;
        this.strHeadLen = 0;
        return;
      case 'stringChunk': {
        const v = t.value ?? '';
        this.strLen += v.length;
        if (this.strHeadLen < this.limits.headChars) {
          const take = v.slice(0, this.limits.headChars - this.strHeadLen);
          this.str.push(take);
          this.strHeadLen += take.length;
        }
        return;
      }
      case 'endString': {
        const head = this.str.join('');
        this.str = [];
        this.add(this.strLen <= this.limits.maxString ? head : { kind: 'long-string', length: this.strLen, head });
        return;
      }
      case 'numberValue':
        this.add(Number(t.value));
        return;
      case 'nullValue':
        this.add(null);
        return;
      case 'trueValue':
        this.add(true);
        return;
      case 'falseValue':
        this.add(false);
        return;
      default:
        return;
    }
  }
}
