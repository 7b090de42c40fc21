import test from 'ava';
import { budgetKey, GuessLimiter } from '../../../proxy/src/sampling/guess-limit.js';

test('a minute\'s worth of wrong guesses per client, refilled over time', (t) => {
  let now = 0;
  const g = new GuessLimiter(3, () => now);
  for (let i = 0; i < 3; i++) { t.false(g.exhausted('a')); g.failed('a'); }
  t.true(g.exhausted('a'));
  t.false(g.exhausted('b'), 'another client has its own budget');
  now += 20_000; // a third of a minute: one guess back
  t.false(g.exhausted('a'));
  g.failed('a');
  t.true(g.exhausted('a'));
  now += 120_000;
  t.false(g.exhausted('a'));
  t.is(g.size, 0, 'a client with a full budget is forgotten');
});

test('the table is bounded: the client seen least recently is forgotten first', (t) => {
  const g = new GuessLimiter(1, () => 0, 3);
  for (const c of ['a', 'b', 'c']) g.failed(c);
  t.true(g.exhausted('a')); // seen again: now the most recent
  g.failed('d');
  t.is(g.size, 3);
  t.false(g.exhausted('b'), 'b was evicted');
  t.true(g.exhausted('a'));
  t.true(g.exhausted('d'));
});

test('IPv6 clients share a budget per /64; IPv4 per address', (t) => {
  t.is(budgetKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.is(budgetKey('2001:0DB8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
  t.is(budgetKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.is(budgetKey('::1'), '0:0:0:0::/64');
  t.is(budgetKey('::ffff:192.0.2.1'), '0:0:0:0::/64');
  t.is(budgetKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  t.is(budgetKey('192.0.2.1'), '192.0.2.1');
  t.is(budgetKey(''), '');
});
