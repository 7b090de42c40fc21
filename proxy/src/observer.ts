// The seam between the byte path and its observers (the Gradio parsers): the request and
// response tees call these hooks; none of them may block, throw into, or alter the stream
// (guardObserver below). The lifecycle owns this contract; observers implement it and import
// nothing of the lifecycle.
import type { Context, Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import { guarded, guardedAsync, Site, type GuardSite } from './guard.js';
import type { ArmChoice } from './spans/http.js';

/**
 * What an observer may read of its request, and the one field it may set: the lifecycle's own
 * record (request-state.ts) satisfies it, and observers never import that record.
 */
export interface ObservedRequest extends ArmChoice {
  readonly method: string;
  readonly route: string;
  readonly upstream?: URL;
  readonly parentContext: Context;
  readonly serverSpan?: Span;
  readonly serverContext?: Context;
  /** The request's error.type, when an observer learns it (an app error inside a 200). */
  errorType?: string;
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
  /** Resolves when asynchronous parsing is done, so the SERVER span can carry its results. */
  settled?(): Promise<void>;
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

/**
 * The same observer with every hook under the guard: a hook never throws, and `settled` never
 * rejects. The composition root wraps each observer once, so the tees can call hooks directly.
 */
export function guardObserver(obs: Observer): Observer {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(HOOK_SITES) as (keyof Observer)[]) {
    const hook = obs[key] as ((...args: unknown[]) => unknown) | undefined;
    if (!hook) continue;
    const site = HOOK_SITES[key];
    out[key] = key === 'settled'
      ? () => guardedAsync(site, () => hook.call(obs)).then(() => undefined)
      : guarded(site, (...args: unknown[]) => hook.apply(obs, args));
  }
  return out as Observer;
}

