import type { Logger } from './logger.js';

/**
 * Observation must never break forwarding: run `fn`, and on failure count it and log at most
 * once per `intervalMs` per site instead of throwing into the byte path.
 */
export function makeSafely(logger: Logger, onFailure: (site: string) => void, intervalMs = 10_000) {
  const lastLogged = new Map<string, number>();
  return function safely<T>(site: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      onFailure(site);
      const now = Date.now();
      if ((lastLogged.get(site) ?? 0) + intervalMs <= now) {
        lastLogged.set(site, now);
        logger.log('warn', 'observation failed; request forwarded untouched', {
          site, error: err instanceof Error ? err.name : 'unknown', code: (err as { code?: string })?.code,
        });
      }
      return undefined;
    }
  };
}
export type Safely = ReturnType<typeof makeSafely>;
