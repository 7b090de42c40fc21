// Body bytes Node reads from a socket live outside V8's heap, in buffers that are freed only when
// V8 next collects the small objects holding them. V8 collects on account of such external
// memory only once it has grown ~64 MiB, and a process whose young generation start-up has grown
// can pass a whole 20 MiB upload without one collection: its resident size then grows by about
// the upload (bench: 19 MiB for a traced proxy just started, 15 for plain http-proxy), and more
// with several at once. So the proxy counts the body bytes it forwards since V8 last collected,
// and past a budget asks for a young-generation collection (a scavenge: its cost follows the
// few objects still live, a fraction of a millisecond to a few). That bounds the growth by the
// budget whatever the heap's state. Under ordinary load allocation collects long before the
// budget is reached, every collection resets the count, and no scavenge is asked for.
//
// Why by hand: Node has no API that asks V8 to collect. The collector is taken the way Jest's
// leak detector takes it, by exposing it for one new context and hiding the flag again, so no
// global `gc` exists for other code to call.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor'; execution: 'async' }) => unknown;

/** Forwarded body bytes since the last collection that make the proxy ask for one. */
export const BODY_SCAVENGE_BUDGET = 8 << 20;

function takeCollector(): Collect | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as unknown;
    return typeof collect === 'function' ? (collect as Collect) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export class BodyScavenger {
  private sinceCollection = 0;
  private readonly observer: PerformanceObserver | undefined;
  private collect: Collect | undefined;

  /** `collect` is for tests; by default V8's, or none (then `passed` only counts). */
  constructor(private readonly budget = BODY_SCAVENGE_BUDGET, collect: Collect | undefined = takeCollector()) {
    this.collect = collect;
    if (!collect) return;
    // Any collection frees what the bodies left, whoever caused it.
    this.observer = new PerformanceObserver(() => { this.sinceCollection = 0; });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** `bytes` of a body went through. */
  passed(bytes: number): void {
    if ((this.sinceCollection += bytes) < this.budget || !this.collect) return;
    this.sinceCollection = 0;
    // Asynchronous: V8 runs it from its task queue, never inside this chunk's event. It runs in a
    // body's 'data' event, so a collector that throws or rejects (another Node) is dropped, not raised.
    try {
      const done = this.collect({ type: 'minor', execution: 'async' });
      if (done instanceof Promise) done.catch(() => { this.collect = undefined; });
    } catch {
      this.collect = undefined;
    }
  }

  stop(): void {
    this.observer?.disconnect();
  }
}
