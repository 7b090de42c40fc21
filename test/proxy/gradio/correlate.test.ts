import test from 'ava';
import { BoundedTable } from '../../../proxy/src/gradio/correlate.js';

test('capacity evicts the oldest and reports it', (t) => {
  const evicted: string[] = [];
  const tbl = new BoundedTable<number>({ maxEntries: 3, ttlMs: 60_000, onEvict: (k, _v, r) => evicted.push(`${k}:${r}`) });
  for (let i = 0; i < 5; i++) tbl.set(`k${i}`, i);
  t.is(tbl.size, 3);
  t.deepEqual(evicted, ['k0:capacity', 'k1:capacity']);
  t.is(tbl.get('k4'), 4);
});

test('entries expire after the TTL and are reported', (t) => {
  let clock = 0;
  const evicted: string[] = [];
  const tbl = new BoundedTable<number>({ maxEntries: 10, ttlMs: 100, now: () => clock, onEvict: (k, _v, r) => evicted.push(`${k}:${r}`) });
  tbl.set('a', 1);
  clock = 50;
  tbl.set('b', 2);
  clock = 120;
  t.is(tbl.get('a'), undefined);
  t.is(tbl.get('b'), 2);
  clock = 200;
  tbl.sweep();
  t.deepEqual(evicted, ['a:expired', 'b:expired']);
  t.is(tbl.size, 0);
});

test('10,000 distinct session keys stay within the cap', (t) => {
  const tbl = new BoundedTable<string>({ maxEntries: 1000, ttlMs: 60_000 });
  for (let i = 0; i < 10_000; i++) tbl.set(`session-${i}`, 'x');
  t.is(tbl.size, 1000);
});
