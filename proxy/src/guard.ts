// The one guard every observation hook runs under. Tracing code reads the bytes that pass; it
// must never end the process or change what is forwarded, whatever the input. So every way
// observation code gets called — a direct call, a promise, an emitter listener, a timer — goes
// through one of the wrappers below: a throw or a rejection is counted per site in
// tts_proxy_observation_failures_total, logged at most every few seconds, and swallowed.
//
// For tests, TTS_PROXY_FAULT_INJECT=<site,…|all> (read once at start) makes the wrapper of those
// sites throw (or reject) before calling the hook, to show that the traffic does not care.
import type { EventEmitter } from 'node:events';

/** Every guarded hook. A new hook needs a site here; the fault-injection e2e test covers each. */
export const Site = Object.freeze({
  /** The ordered stages that start observing a request (pipeline.ts); on failure it is forwarded unobserved. */
  PIPELINE: 'pipeline',
  TRACE_HEADERS: 'trace-headers',
  OBSERVE: 'gradio:observe',
  REQUEST_CHUNK: 'gradio:request-chunk',
  REQUEST_END: 'gradio:request-end',
  RESPONSE: 'gradio:response',
  RESPONSE_CHUNK: 'gradio:response-chunk',
  RESPONSE_END: 'gradio:response-end',
  CLOSE: 'gradio:close',
  SETTLED: 'gradio:settled',
  FINISH: 'finish',
  /** The periodic sweep of the correlation tables (ends expired predictions). */
  SWEEP: 'sweep',
  /** The tail sampler's periodic decision on traces that waited long enough. */
  TAIL_SWEEP: 'tail-sweep',
  /** Creating a prediction span from a submission (awaits the body and the schema). */
  PREDICTION: 'gradio:prediction',
  /** Ending a prediction span (waits for output probes). */
  PREDICTION_END: 'gradio:prediction-end',
  /** One event of an SSE stream applied to its prediction. */
  STREAM_MESSAGE: 'gradio:stream-message',
  /** The proxy's own GET /config and /info. */
  SCHEMA_FETCH: 'gradio:schema-fetch',
  /** The proxy's own read of an output file's head. */
  OUTPUT_PROBE: 'gradio:output-probe',
  /** Listeners on the zlib/brotli decoders of compressed responses. */
  DECODER: 'gradio:decoder',
  /** Listeners on the multipart parser of uploads. */
  UPLOAD_PART: 'gradio:upload-part',
  /** Listeners on the streaming JSON tokenizer (bodies over the fast-path size). */
  JSON_TOKEN: 'gradio:json-token',
  /** Listeners on the proxy's own requests to the app (schema fetch, output probe). */
  FETCH: 'gradio:fetch',
});
export type GuardSite = (typeof Site)[keyof typeof Site];
export const GUARD_SITES: readonly GuardSite[] = Object.values(Site);

/** Thrown by the wrappers of sites named in TTS_PROXY_FAULT_INJECT. */
export class InjectedFault extends Error {
  constructor(readonly site: string) {
    super(`fault injected at ${site}`);
    this.name = 'InjectedFault';
  }
}

export interface GuardOptions {
  /** Called once per failure (count it); must not throw, but a throw is swallowed too. */
  readonly onFailure: (site: GuardSite, err: unknown) => void;
  /** Sites whose wrappers throw first (tests only); `all` for every site. */
  readonly faultInject?: readonly string[];
}

let onFailure: GuardOptions['onFailure'] = () => undefined;
let inject: ReadonlySet<string> = new Set();

/** Configures the guard once at start (the composition root). */
export function installGuard(o: GuardOptions): void {
  onFailure = o.onFailure;
  inject = new Set(o.faultInject ?? []);
}

function injected(site: GuardSite): boolean {
  return inject.size > 0 && (inject.has(site) || inject.has('all'));
}

function failed(site: GuardSite, err: unknown): void {
  try {
    onFailure(site, err);
  } catch {
    // Counting must not become the failure.
  }
}

/** Runs `fn` now; a throw is counted and `undefined` returned. */
export function guard<T>(site: GuardSite, fn: () => T): T | undefined {
  try {
    if (injected(site)) throw new InjectedFault(site);
    return fn();
  } catch (err) {
    failed(site, err);
    return undefined;
  }
}

/**
 * `target[method]` as a one-argument callback that never throws, with `target` as its `this`:
 * no closure or argument array per call, for hooks called on every chunk.
 */
export function guardedMethod<A>(site: GuardSite, target: object, method: (this: unknown, arg: A) => unknown): (arg: A) => void {
  return (arg: A) => {
    try {
      if (injected(site)) throw new InjectedFault(site);
      method.call(target, arg);
    } catch (err) {
      failed(site, err);
    }
  };
}

/** `fn` as a callback that never throws. */
export function guarded<A extends unknown[]>(site: GuardSite, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => { guard(site, () => fn(...args)); };
}

/**
 * Runs an asynchronous hook; the promise never rejects: a throw or rejection is counted and
 * resolves `undefined`. Every promise observation code creates and does not await at once goes
 * through here, so no rejection can be unhandled.
 */
export function guardedAsync<T>(site: GuardSite, fn: () => Promise<T> | T): Promise<T | undefined> {
  let p: Promise<T>;
  try {
    if (injected(site)) throw new InjectedFault(site);
    p = Promise.resolve(fn());
  } catch (err) {
    p = Promise.reject(err);
  }
  return p.catch((err: unknown) => {
    failed(site, err);
    return undefined;
  });
}

/**
 * Runs a hook that may finish now or later. A promise it returns comes back as one that never
 * rejects (a rejection is counted); a hook that finished in this turn, or threw (counted), gives
 * undefined, and its caller goes on at once: most requests' observers have nothing left to wait
 * for when the exchange closes, and a promise chain and a timer per request was what waiting
 * cost them (issue 10).
 */
export function guardedMaybeAsync(site: GuardSite, fn: () => PromiseLike<unknown> | void): Promise<void> | undefined {
  let r: PromiseLike<unknown> | void;
  try {
    if (injected(site)) throw new InjectedFault(site);
    r = fn();
  } catch (err) {
    failed(site, err);
    return undefined;
  }
  if (!r) return undefined;
  return Promise.resolve(r).then(() => undefined, (err: unknown) => { failed(site, err); });
}

/** `emitter.on(event, fn)`, with `fn` guarded. Use for every listener on a stream observation reads. */
export function guardedListener<A extends unknown[]>(emitter: EventEmitter, event: string, site: GuardSite, fn: (...args: A) => unknown): void {
  emitter.on(event, guarded(site, fn as (...args: unknown[]) => unknown));
}

/** A one-off, unref'd timer whose callback is guarded. */
export function guardedTimeout(site: GuardSite, fn: () => unknown, ms: number): NodeJS.Timeout {
  return setTimeout(guarded(site, fn), ms).unref();
}

/** A repeating, unref'd timer whose callback is guarded. */
export function guardedInterval(site: GuardSite, fn: () => unknown, ms: number): NodeJS.Timeout {
  return setInterval(guarded(site, fn), ms).unref();
}
