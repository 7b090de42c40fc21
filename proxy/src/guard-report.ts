import type { GuardSite } from './guard.js';
import type { Logger } from '../../common/logger.js';

/**
 * The guard's failure sink: count every failure, and log at most once per `intervalMs` per site
 * (a hostile input repeated a thousand times a second must not become a thousand log lines).
 */
export function failureReporter(logger: Logger, count: (site: GuardSite) => void, intervalMs = 10_000): (site: GuardSite, err: unknown) => void {
  const lastLogged = new Map<string, number>();
  return (site, err) => {
    count(site);
    const now = Date.now();
    if ((lastLogged.get(site) ?? 0) + intervalMs <= now) {
      lastLogged.set(site, now);
      logger.log('warn', 'observation failed; request forwarded untouched', {
        site, error: err instanceof Error ? err.name : 'unknown', code: (err as { code?: string })?.code,
      });
    }
  };
}
