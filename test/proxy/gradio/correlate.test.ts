import test from 'ava';
import fc from 'fast-check';
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

// The group index (predictions by session): an aborted queue/data stream looks at its own
// session's predictions, not at every prediction of every session (issue 10: with 10,000
// predictions held, each aborted stream scanned them all and set a timer for each of its own,
// and time to first event reached 200 ms at p99).
test('property: a group holds exactly the live values of that group, through sets, replacements, deletes, evictions and expiry', (t) => {
  fc.assert(fc.property(
    fc.array(fc.oneof(
      fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), group: fc.constantFrom('a', 'b', 'c', undefined) }),
      fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 12 }) }),
    ), { maxLength: 80 }),
    (ops) => {
      let clock = 0;
      const tbl = new BoundedTable<{ group?: string; id: number }>({ maxEntries: 6, ttlMs: 100, now: () => clock, groupOf: (v) => v.group });
      let id = 0;
      for (const o of ops) {
        if (o.op === 'set') tbl.set(`k${o.key}`, { group: o.group, id: id++ });
        else if (o.op === 'delete') tbl.delete(`k${o.key}`);
        else if (o.op === 'get') tbl.get(`k${o.key}`);
        else clock += o.ms;
        for (const g of ['a', 'b', 'c']) {
          const expected = [...tbl.values()].filter((v) => v.group === g).map((v) => v.id).sort((x, y) => x - y);
          const got = [...tbl.inGroup(g)].map((v) => v.id).sort((x, y) => x - y);
          if (JSON.stringify(expected) !== JSON.stringify(got)) return false;
        }
      }
      return true;
    },
  ), { numRuns: 300 });
  t.pass();
});

test('a group lookup costs its own entries, not the table\'s', (t) => {
  let reads = 0;
  const tbl = new BoundedTable<{ group: string }>({ maxEntries: 20_000, ttlMs: 60_000, groupOf: (v) => { reads++; return v.group; } });
  for (let i = 0; i < 10_000; i++) tbl.set(`k${i}`, { group: i < 3 ? 'mine' : 'theirs' });
  reads = 0;
  t.is([...tbl.inGroup('mine')].length, 3);
  t.is([...tbl.inGroup('nobody')].length, 0);
  t.true(reads <= 3, `group of ${reads} values read`);
});

test('one group cannot fill the table: past maxPerGroup its own oldest entry goes, reported, and the other groups keep theirs', (t) => {
  const evicted: string[] = [];
  const tbl = new BoundedTable<{ group: string }>({ maxEntries: 100, maxPerGroup: 3, ttlMs: 60_000, groupOf: (v) => v.group, onEvict: (k, _v, r) => evicted.push(`${k}:${r}`) });
  tbl.set('other', { group: 'b' });
  for (let i = 0; i < 5; i++) tbl.set(`flood${i}`, { group: 'a' });
  t.deepEqual(evicted, ['flood0:capacity', 'flood1:capacity']);
  t.deepEqual([...tbl.inGroup('a')].length, 3);
  t.truthy(tbl.get('other'));
  t.is(tbl.size, 4);
});
