import test from 'ava';
import { nestingViolations } from './span-nesting.js';
import type { ZipkinSpan } from './zipkin.js';

const span = (id: string, parentId: string | undefined, timestamp: number, duration: number, extra: Partial<ZipkinSpan> = {}): ZipkinSpan =>
  ({ traceId: 't', id, parentId, timestamp, duration, name: id, localEndpoint: { serviceName: 'proxy' }, ...extra });

test('a child that starts before or ends after its parent is reported; rounding and other services are not', (t) => {
  const server = span('server', undefined, 1_000_000, 10_000, { kind: 'SERVER' });
  t.deepEqual(nestingViolations([server, span('ok', 'server', 1_000_000, 10_000), span('round', 'server', 999_999, 10_002)]), []);
  const v = nestingViolations([server, span('early', 'server', 998_800, 100), span('late', 'server', 1_005_000, 7_800)]);
  t.deepEqual(v, ['early (early) in server (server): starts 1200 µs before its parent', 'late (late) in server (server): ends 2800 µs after its parent']);
  t.deepEqual(nestingViolations([server, span('worker', 'server', 990_000, 1, { localEndpoint: { serviceName: 'upstream-tts' } })]), []);
});

test('a queued prediction may outlive the request that submitted it, never start before it; a direct one lies within', (t) => {
  const server = span('server', undefined, 1_000_000, 10_000, { kind: 'SERVER' });
  const queued = span('p', 'server', 1_000_000, 5_000_000, { name: 'gradio.predict /tts', tags: { 'gradio.transport': 'queue' } });
  t.deepEqual(nestingViolations([server, queued]), []);
  t.is(nestingViolations([server, { ...queued, timestamp: 999_000 }]).length, 1);
  t.is(nestingViolations([server, { ...queued, tags: { 'gradio.transport': 'direct' } }]).length, 1);
});
