// How much a shared machine slowed down between two windows of a timing check, read from a healthy
// control run through both. The control's p99 in the later window is measured against the p99 of
// every process that was healthy in the earlier one (the control and the processes under test
// alike, all under the same load then), not against the control's own: a p99 is its five
// slowest requests in five hundred, and one process's unlucky baseline (87 ms against 69-75 for
// the others, CI beside stress-ng) understated the drift and failed proxies that were no slower
// than the control.
import { median } from './load.js';

/** The median p99 of the healthy processes before, divided into the control's p99 after; at least 1. */
export function machineDrift(controlAfter: number, healthyBefore: readonly number[]): number {
  const baseline = median(healthyBefore);
  // No baseline (NaN fails the comparison) or no control: no drift to allow for.
  return baseline > 0 && Number.isFinite(controlAfter) ? Math.max(1, controlAfter / baseline) : 1;
}
