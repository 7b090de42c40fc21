import test from 'ava';
import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import fc from 'fast-check';
import { accessLogJsonInto, BatchedLines, isoNow } from '../../proxy/src/access-log.js';
import { JsonBytes } from '../../proxy/src/export/json-bytes.js';
import { until } from '../support/until.js';

function recorder() {
  const writes: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { writes.push(chunk.toString()); cb(); } });
  return { writes, sink };
}

test('lines leave together once the flush interval passed, not one write each', async (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink, 30);
  lines.write('a\n');
  lines.write('b\n');
  await turn();
  lines.write('c\n');
  t.deepEqual(writes, [], 'nothing written before the interval');
  await until(() => writes.length > 0);
  t.deepEqual(writes, ['a\nb\nc\n']);
  lines.write('d\n');
  await until(() => writes.length > 1);
  t.deepEqual(writes, ['a\nb\nc\n', 'd\n']);
});

test('a full buffer leaves at once, whatever the interval', (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink, 60_000, 10);
  lines.write('12345\n');
  t.deepEqual(writes, []);
  lines.write('67890\n');
  t.deepEqual(writes, ['12345\n67890\n']);
  lines.flush();
});

test('JSON lines and text lines share one batch, in the order written', async (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink, 30);
  const e = { time: new Date(0).toISOString(), sampled: true, method: 'GET', route: '/', path: '/ü"\u2028', status: 200, duration_ms: 1.5, bytes_in: 0, bytes_out: 2 };
  lines.write('a\n');
  lines.writeJson(e);
  lines.write('ü\n');
  await until(() => writes.length > 0);
  t.deepEqual(writes, [`a\n${JSON.stringify(e)}\nü\n`]);
});

test('flush writes what is pending at once (shutdown), and nothing twice', async (t) => {
  const { writes, sink } = recorder();
  const lines = new BatchedLines(sink);
  lines.write('x\n');
  lines.flush();
  t.deepEqual(writes, ['x\n']);
  await turn();
  lines.flush();
  t.deepEqual(writes, ['x\n']);
});

test('a JSON line is exactly what JSON.stringify writes for the entry, whatever its strings', (t) => {
  const text = fc.string({ unit: 'binary', maxLength: 40 });
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const entry = fc.record({
    time: fc.constant(new Date(0).toISOString()), trace_id: opt(text), span_id: opt(text), request_id: opt(text), sampled: fc.boolean(),
    method: text, route: text, path: text, status: fc.integer({ min: 100, max: 599 }), upstream_status: opt(fc.integer({ min: 100, max: 599 })),
    arm: opt(text), version: opt(text), replica: opt(text), duration_ms: fc.double({ noNaN: false }), bytes_in: fc.nat(), bytes_out: fc.nat(),
    error_type: opt(text), client_aborted: opt(fc.constant(true as const)),
  });
  const w = new JsonBytes(16);
  fc.assert(fc.property(entry, (e) => {
    w.reset();
    accessLogJsonInto(w, e);
    t.is(Buffer.from(w.take()).toString('utf8'), JSON.stringify(e));
  }), { numRuns: 500 });
  t.pass();
});

test('durations in thousandths are written as JSON.stringify writes them', (t) => {
  const cases = [0, 1, 0.001, 0.01, 0.1, 0.12, 1.234, 10.5, 999.999, 1000, 123456.789, 4.1, 0.3, 1e12 + 0.5, 1e15, 1.2345, -1, -0.5, -0];
  const thousandths = fc.integer({ min: 0, max: 1e12 }).map((k) => Math.round(k) / 1000);
  const w = new JsonBytes(16);
  for (const d of [...cases, ...fc.sample(thousandths, 2000), ...fc.sample(fc.double(), 500)]) {
    const e = { time: 't', sampled: true, method: 'GET', route: '/', path: '/', status: 200, duration_ms: d, bytes_in: 0, bytes_out: 0 };
    w.reset();
    accessLogJsonInto(w, e);
    t.is(Buffer.from(w.take()).toString('utf8'), JSON.stringify(e), String(d));
  }
});

test('the time is toISOString() of the same millisecond, across seconds, minutes and years', (t) => {
  const at = [0, 999, 1000, 1001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), 1796453400626, ...fc.sample(fc.integer({ min: 0, max: 4e12 }), 2000)];
  for (const ms of at) t.is(isoNow(ms), new Date(ms).toISOString(), String(ms));
});
