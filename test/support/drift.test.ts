import test from 'ava';
import { machineDrift } from './drift.js';

// CI X (beside stress-ng, on a host that got much busier during the fault window): p99 before the
// fault of five faulted proxies and the control, and the control's p99 during it. The control's
// own baseline was the unlucky one (87.2 ms against 69-75 for the rest).
const BEFORE = [70.0, 70.9, 68.9, 75.0, 74.8];
const CONTROL_BEFORE = 87.2;
const CONTROL_DURING = 176.2;
const bound = (ownBefore: number, drift: number): number => ownBefore * 1.1 * drift + 5;

test('the baseline is every healthy proxy\'s p99 before the fault, not the control\'s alone', (t) => {
  const drift = machineDrift(CONTROL_DURING, [...BEFORE, CONTROL_BEFORE]);
  // The median of the six baselines is 72.85 ms: the machine slowed about 2.42×, not 2.02×.
  t.is(Math.round(drift * 100) / 100, 2.42);
  // The proxy answering 500s during the fault (186.9 ms) was no slower than the control (176.2 ms):
  // it passes, where the control's own ratio (2.02) failed it.
  t.true(186.9 <= bound(70.0, drift));
  t.false(186.9 <= bound(70.0, CONTROL_DURING / CONTROL_BEFORE));
});

test('a real slowdown still fails: twice the control\'s p99 during the fault', (t) => {
  const drift = machineDrift(CONTROL_DURING, [...BEFORE, CONTROL_BEFORE]);
  t.false(2 * CONTROL_DURING <= bound(70.0, drift));
});

test('a machine that got quieter is no excuse: the drift is never below 1', (t) => {
  t.is(machineDrift(36.6, [51.3, 48.7, 52.7, 52.1, 52.9, 51.4, 55.2, 50.0]), 1);
});

test('no baseline or no control: no drift to allow for', (t) => {
  t.is(machineDrift(100, []), 1);
  t.is(machineDrift(NaN, [50]), 1);
});
