// The seam between the byte path and its observers (the Gradio parsers): the request and
// response tees call these hooks; none of them may block, throw into, or alter the stream
// (guardObserver below). The lifecycle owns this contract; observers implement it and import
// nothing of the lifecycle.
import type { Attributes, Context } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { guardedMaybeAsync, guardedMethod, Site, type GuardSite } from './guard.js';
import type { ArmChoice } from './spans/http.js';

/** Events one request's observers may record for its SERVER span (a client cannot grow the list). */
export const MAX_FINDING_EVENTS = 32;

/**
 * What observers found about their request, for its SERVER span. Observers only add to it; the
 * lifecycle puts it on the span when it ends the request, so no observer writes into a span it
 * does not own, or into the request's record, after the stages ran.
 */
export class Findings {
  // Made when first needed: most requests' observers find nothing (every static asset's), and
  // every request has a Findings.
  private found?: Attributes;
  private seen?: { readonly name: string; readonly at: number }[];
  /** The request's error.type, when an observer learns it (an app error inside a 200). */
  errorType?: string;

  get attributes(): Readonly<Attributes> {
    return this.found ?? NOTHING_FOUND;
  }

  get events(): readonly { readonly name: string; readonly at: number }[] {
    return this.seen ?? NO_EVENTS;
  }

  set(attributes: Attributes): void {
    Object.assign((this.found ??= {}), attributes);
  }

  /** `at`: epoch ms (fractional), when it happened. */
  event(name: string, at: number = performance.timeOrigin + performance.now()): void {
    const events = (this.seen ??= []);
    if (events.length < MAX_FINDING_EVENTS) events.push({ name, at });
  }
}

const NOTHING_FOUND: Readonly<Attributes> = Object.freeze({});
const NO_EVENTS: readonly { readonly name: string; readonly at: number }[] = Object.freeze([]);

/**
 * What an observer may read of its request, and where it reports what it found: the lifecycle's
 * own record (request-state.ts) satisfies it, and observers never import that record.
 */
export interface ObservedRequest extends ArmChoice {
  readonly method: string;
  readonly route: string;
  readonly upstream?: URL;
  readonly parentContext: Context;
  /** The SERVER span's context: the parent of the spans observers start (predictions). */
  readonly serverContext?: Context;
  readonly found: Findings;
}

export interface Observer {
  onRequestChunk?(chunk: Buffer): void;
  onRequestEnd?(): void;
  onResponse?(res: IncomingMessage): void;
  onResponseChunk?(chunk: Buffer): void;
  onResponseEnd?(): void;
  /**
   * The exchange is over and no input follows, whether or not the request or response body
   * ended: every parser still open must end here, or `settled` holds the request in flight
   * (test/proxy/gradio/observe.test.ts). `aborted` when the client left before the response ended.
   */
  onClose?(aborted: boolean): void;
  /**
   * Resolves when asynchronous parsing is done, so the SERVER span can carry its results;
   * nothing (undefined) when nothing is left to wait for, and the request ends at once.
   */
  settled?(): Promise<void> | void;
}

/** The guard site of every hook: a hook added to Observer without one does not compile. */
const HOOK_SITES: { readonly [K in keyof Observer]-?: GuardSite } = {
  onRequestChunk: Site.REQUEST_CHUNK,
  onRequestEnd: Site.REQUEST_END,
  onResponse: Site.RESPONSE,
  onResponseChunk: Site.RESPONSE_CHUNK,
  onResponseEnd: Site.RESPONSE_END,
  onClose: Site.CLOSE,
  settled: Site.SETTLED,
};

type Hooks = { [K in keyof Observer]-?: NonNullable<Observer[K]> };
type EveryHook = { [K in keyof Hooks]: Hooks[K] | undefined };

/**
 * The same observer with every hook under the guard: a hook never throws, and `settled` never
 * rejects. The composition root wraps each observer once, so the tees can call hooks directly.
 */
export function guardObserver(obs: Observer): Observer {
  // One shape for every guarded observer (absent hooks are undefined): the tees' calls stay
  // monomorphic, and each hook costs one closure when wrapped, none when called.
  const hook = <K extends Exclude<keyof Observer, 'settled'>>(key: K): Observer[K] => {
    const fn = obs[key] as ((arg: unknown) => unknown) | undefined;
    return (fn && guardedMethod(HOOK_SITES[key], obs, fn)) as Observer[K];
  };
  const settled = obs.settled;
  // Every hook named (a hook added to Observer and not here does not compile).
  const guardedObserver: EveryHook = {
    onRequestChunk: hook('onRequestChunk'),
    onRequestEnd: hook('onRequestEnd'),
    onResponse: hook('onResponse'),
    onResponseChunk: hook('onResponseChunk'),
    onResponseEnd: hook('onResponseEnd'),
    onClose: hook('onClose'),
    settled: settled && (() => guardedMaybeAsync(HOOK_SITES.settled, () => settled.call(obs))),
  };
  return guardedObserver;
}

