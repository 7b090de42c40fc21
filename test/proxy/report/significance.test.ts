import test from 'ava';
import fc from 'fast-check';
import { shiftTest } from '../../../proxy/src/report/significance.js';

test('Mann-Whitney p-values: 1:3 vs 4:6 is R\'s 0.0809; with ties the tie correction applies; identical samples give 1', (t) => {
  // R: wilcox.test(1:3, 4:6, exact = FALSE) -> W = 0, p-value = 0.08086
  t.true(Math.abs(shiftTest([1, 2, 3], [4, 5, 6]).p! - 0.0809) < 0.001);
  // Ranks 1.5 1.5 3.5 | 3.5 5.5 5.5: U = 0.5, variance 9/12 * (7 - 18/30) = 4.8, z = 3.5 / sqrt(4.8)
  t.true(Math.abs(shiftTest([1, 1, 2], [2, 3, 3]).p! - 0.1102) < 0.001);
  t.is(shiftTest([5, 5, 5], [5, 5, 5]).p, 1);
  t.deepEqual(shiftTest([], [1, 2]), { n: 0, baselineN: 2, shift: null, ci: null, p: null });
});

test('one sample per arm: a shift, no interval (too few for 95%), and a p-value of 1', (t) => {
  const r = shiftTest([900], [2500]);
  t.is(r.shift, -1600);
  t.is(r.ci, null);
  t.is(r.p, 1);
});

test('property: a sample against itself shifted by d estimates d, its interval holds d, and swapping the arms mirrors it', (t) => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 8, maxLength: 200 }), fc.integer({ min: -50_000, max: 50_000 }),
    (base, d) => {
      const value = base.map((x) => x + d);
      const r = shiftTest(value, base);
      const back = shiftTest(base, value);
      return r.shift === d && r.ci !== null && r.ci[0] <= d && d <= r.ci[1] && back.shift === -d && Math.abs(back.p! - r.p!) < 1e-12;
    },
  ));
  t.pass();
});

test('a real regression is called, noise is not: 200 vs 200 draws', (t) => {
  // Deterministic "random" latencies (a fixed LCG), so the test cannot flake.
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const draw = (n: number, median: number) => Array.from({ length: n }, () => median * Math.exp(0.5 * (rnd() + rnd() + rnd() - 1.5)));
  const base = draw(200, 1000);
  const same = shiftTest(draw(200, 1000), base);
  const slower = shiftTest(draw(200, 1300), base);
  t.true(same.p! > 0.05, `same distribution p=${same.p}`);
  t.true(same.ci![0] < 0 && same.ci![1] > 0);
  t.true(slower.p! < 0.001, `30% slower p=${slower.p}`);
  t.true(slower.ci![0] > 0 && slower.shift! > 150 && slower.shift! < 450, `shift ${slower.shift} [${slower.ci}]`);
});

test('large samples are thinned for the interval but not for the p-value', (t) => {
  const base = Array.from({ length: 3000 }, (_, i) => 1000 + (i % 100));
  const value = base.map((x) => x + 10);
  const r = shiftTest(value, base);
  t.is(r.n, 3000);
  t.is(r.shift, 10);
  t.true(r.p! < 1e-6);
});
