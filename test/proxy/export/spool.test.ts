import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, SpoolLockedError } from '../../../proxy/src/export/spool.js';

const dirs: string[] = [];
const dir = () => { const d = mkdtempSync(join(tmpdir(), 'spool-test-')); dirs.push(d); return d; };
test.after.always(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

test('batches come back oldest first, and are gone once removed', async (t) => {
  const drops: string[] = [];
  const s = new Spool(dir(), 10_000, (n, r) => drops.push(`${n}:${r}`));
  t.true(await s.put(bytes(100, 1), 3, 0, 'zipkin.json'));
  t.true(await s.put(bytes(200, 2), 5, 2, 'zipkin.json'));
  t.is(s.bytes, 300);
  t.is(s.spans, 8);
  const a = await s.take();
  t.is(a!.entry.spans, 3);
  t.is(a!.body[0], 1);
  // The busy one is skipped by the next take.
  const b = await s.take();
  t.is(b!.entry.spans, 5);
  t.is(b!.entry.attempts, 2);
  t.is(await s.take(), undefined);
  await s.remove(a!.entry);
  s.release(b!.entry);
  t.is(b!.entry.attempts, 3);
  t.is((await s.take())!.entry, b!.entry);
  t.is(s.bytes, 200);
  t.deepEqual(drops, []);
  await s.close();
});

test('full: the oldest batches are deleted first and counted as dropped', async (t) => {
  const drops: string[] = [];
  const s = new Spool(dir(), 1000, (n, r) => drops.push(`${n}:${r}`));
  for (let i = 1; i <= 4; i++) await s.put(bytes(400, i), i, 0, 'otlp.pb');
  t.true(s.bytes <= 1000);
  t.deepEqual(drops, ['1:spool_full', '2:spool_full']);
  t.is((await s.take())!.body[0], 3);
  t.false(await s.put(bytes(2000), 7, 0, 'otlp.pb'), 'larger than the whole spool');
  t.deepEqual(drops.at(-1), '7:spool_full');
  await s.close();
});

test('a second process cannot open a live spool; a stale lock is taken over; batches survive a restart', async (t) => {
  const d = dir();
  const s = new Spool(d, 10_000, () => undefined);
  await s.put(bytes(10), 2, 1, 'zipkin.json');
  // Our own pid is alive: pretend the lock belongs to another live process (the parent).
  writeFileSync(join(d, '.lock'), String(process.ppid));
  t.throws(() => new Spool(d, 10_000, () => undefined), { instanceOf: SpoolLockedError });
  writeFileSync(join(d, '.lock'), '999999999');
  writeFileSync(join(d, '0000000000000099-1-0.zipkin.json.tmp'), 'half-written');
  const again = new Spool(d, 10_000, () => undefined);
  t.is(again.size, 1);
  t.is(again.spans, 2);
  t.false(readdirSync(d).some((f) => f.endsWith('.tmp')), 'a half-written batch from a crash is removed');
  await again.put(bytes(10), 1, 0, 'zipkin.json');
  t.deepEqual(readdirSync(d).filter((f) => !f.startsWith('.')).sort(), ['0000000000000001-2-1.zipkin.json', '0000000000000002-1-0.zipkin.json']);
  await again.close();
  t.false(readdirSync(d).includes('.lock'));
});
