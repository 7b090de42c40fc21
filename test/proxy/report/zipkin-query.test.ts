import test from 'ava';
import type { ZipkinSpan } from '../../../proxy/src/report/aggregate.js';
import { normalizeZipkinUrl, queryTraces, ZipkinQueryError } from '../../../proxy/src/report/zipkin-query.js';
import { hex } from '../../support/report-spans.js';

/**
 * A fake `/api/v2/traces` with Zipkin's semantics: traces with a span timestamp in
 * [endTs - lookback, endTs] (ms, inclusive; timestamps in µs), newest first, at most `limit`.
 */
function fakeZipkin(traces: ZipkinSpan[][]) {
  const calls: URLSearchParams[] = [];
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    const q = url.searchParams;
    calls.push(q);
    const end = Number(q.get('endTs')) * 1000;
    const start = end - Number(q.get('lookback')) * 1000;
    const hits = traces
      .filter((tr) => tr.some((s) => s.localEndpoint?.serviceName === q.get('serviceName') && s.timestamp! >= start && s.timestamp! <= end))
      .sort((a, b) => b[0]!.timestamp! - a[0]!.timestamp!)
      .slice(0, Number(q.get('limit')));
    return new Response(JSON.stringify(hits), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const trace = (service: string, tsMs: number, tsUs = 0): ZipkinSpan[] =>
  [{ traceId: hex(16), id: hex(8), kind: 'SERVER', name: 'get /', timestamp: tsMs * 1000 + tsUs, duration: 1, localEndpoint: { serviceName: service } }];

const T0 = 1_800_000_000_000;

test('a window holding more than `limit` traces is read in slices until each returns fewer; every trace exactly once', async (t) => {
  // 103 traces spread unevenly over one hour, some on shared milliseconds and between ms marks.
  const all: ZipkinSpan[][] = [];
  for (let i = 0; i < 100; i++) all.push(trace('svc', T0 - 1 - Math.floor((i * i * 360_000) / 10_000), i % 3 === 0 ? 500 : 0));
  all.push(trace('svc', T0 - 5), trace('svc', T0 - 5), trace('svc', T0 - 3_600_000));
  all.push(trace('other', T0 - 10));
  const { fetchImpl, calls } = fakeZipkin(all);
  const r = await queryTraces({ baseUrl: 'http://z', serviceName: 'svc', startMs: T0 - 3_600_000, endMs: T0, limit: 7, fetch: fetchImpl });
  t.false(r.truncated);
  t.is(r.queries, calls.length);
  t.true(calls.length > 100 / 7, `${calls.length} queries`);
  const ids = r.traces.map((tr) => tr[0]!.traceId);
  t.is(ids.length, 103);
  t.is(new Set(ids).size, 103);
  for (const q of calls) {
    t.is(q.get('serviceName'), 'svc');
    t.is(q.get('limit'), '7');
    t.true(Number(q.get('lookback')) >= 1);
  }
});

test('a window with fewer traces than the limit takes one query', async (t) => {
  const { fetchImpl, calls } = fakeZipkin([trace('svc', T0 - 1000), trace('svc', T0 - 2000)]);
  const r = await queryTraces({ baseUrl: 'http://z', serviceName: 'svc', startMs: T0 - 60_000, endMs: T0, limit: 1000, fetch: fetchImpl });
  t.is(r.traces.length, 2);
  t.is(calls.length, 1);
  t.is(calls[0]!.get('endTs'), String(T0));
  t.is(calls[0]!.get('lookback'), '60000');
});

test('more traces than the limit within 2 ms: what came back is kept and the result says truncated', async (t) => {
  const all = Array.from({ length: 5 }, () => trace('svc', T0 - 1));
  const { fetchImpl } = fakeZipkin(all);
  const r = await queryTraces({ baseUrl: 'http://z', serviceName: 'svc', startMs: T0 - 1000, endMs: T0, limit: 3, fetch: fetchImpl });
  t.true(r.truncated);
  t.is(r.traces.length, 3);
});

test('Zipkin failures become ZipkinQueryError with the URL and the cause', async (t) => {
  const opts = { baseUrl: 'http://zipkin.invalid:9411', serviceName: 's', startMs: T0 - 1000, endMs: T0, limit: 10 };
  const refused = (async () => { throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }); }) as typeof fetch;
  const e1 = await t.throwsAsync(queryTraces({ ...opts, fetch: refused }), { instanceOf: ZipkinQueryError });
  t.is(e1?.message, 'cannot reach Zipkin at http://zipkin.invalid:9411: ECONNREFUSED');
  const status500 = (async () => new Response('storage down', { status: 500 })) as typeof fetch;
  const e2 = await t.throwsAsync(queryTraces({ ...opts, fetch: status500, retryDelayMs: 1 }), { instanceOf: ZipkinQueryError });
  t.is(e2?.message, 'Zipkin at http://zipkin.invalid:9411 answered HTTP 500 to /api/v2/traces: storage down');
  const html = (async () => new Response('<html>', { status: 200 })) as typeof fetch;
  await t.throwsAsync(queryTraces({ ...opts, fetch: html }), { instanceOf: ZipkinQueryError, message: /not JSON \(is this a Zipkin\?\)/ });
  const object = (async () => new Response('{"a":1}', { status: 200 })) as typeof fetch;
  await t.throwsAsync(queryTraces({ ...opts, fetch: object }), { instanceOf: ZipkinQueryError, message: /did not answer a list of traces/ });
  // AbortSignal.timeout's timer does not keep the process alive (a real fetch's socket does).
  const slow = ((_: unknown, init?: RequestInit) => new Promise<Response>((_r, reject) => {
    const alive = setTimeout(() => reject(new Error('not aborted')), 5000);
    init?.signal?.addEventListener('abort', () => { clearTimeout(alive); reject(init.signal!.reason); });
  })) as typeof fetch;
  await t.throwsAsync(queryTraces({ ...opts, fetch: slow, timeoutMs: 50 }), { instanceOf: ZipkinQueryError, message: /did not answer within 0\.05 s/ });
});

// Found beside stress-ng: Zipkin answers 500 RequestTimeoutException when a query over a large
// in-memory store outlasts its own query timeout. That is a busy backend, not a failed one.
test('a 5xx from Zipkin is asked again (three tries in all), a 4xx is not', async (t) => {
  const opts = { baseUrl: 'http://zipkin.invalid:9411', serviceName: 's', startMs: T0 - 1000, endMs: T0, limit: 10, retryDelayMs: 1 };
  let calls = 0;
  const busyOnce = (async () => (++calls === 1 ? new Response('RequestTimeoutException', { status: 500 }) : new Response('[]', { status: 200 }))) as typeof fetch;
  t.deepEqual((await queryTraces({ ...opts, fetch: busyOnce })).traces, []);
  t.is(calls, 2);
  calls = 0;
  const busy = (async () => { calls++; return new Response('RequestTimeoutException', { status: 500 }); }) as typeof fetch;
  await t.throwsAsync(queryTraces({ ...opts, fetch: busy }), { instanceOf: ZipkinQueryError, message: /HTTP 500/ });
  t.is(calls, 3);
  calls = 0;
  const bad = (async () => { calls++; return new Response('bad', { status: 400 }); }) as typeof fetch;
  await t.throwsAsync(queryTraces({ ...opts, fetch: bad }), { instanceOf: ZipkinQueryError, message: /HTTP 400/ });
  t.is(calls, 1);
});

test('normalizeZipkinUrl accepts the base, the UI and the span endpoint', (t) => {
  t.is(normalizeZipkinUrl('http://127.0.0.1:9411'), 'http://127.0.0.1:9411');
  t.is(normalizeZipkinUrl('http://127.0.0.1:9411/'), 'http://127.0.0.1:9411');
  t.is(normalizeZipkinUrl('http://127.0.0.1:9411/zipkin/'), 'http://127.0.0.1:9411');
  t.is(normalizeZipkinUrl('http://zipkin:9411/api/v2/spans'), 'http://zipkin:9411');
  t.is(normalizeZipkinUrl('https://example.com/tracing/api/v2?x=1'), 'https://example.com/tracing');
  t.throws(() => normalizeZipkinUrl('zipkin:9411x'), { instanceOf: ZipkinQueryError });
  t.throws(() => normalizeZipkinUrl('not a url'), { instanceOf: ZipkinQueryError });
  t.throws(() => normalizeZipkinUrl('ftp://zipkin'), { instanceOf: ZipkinQueryError });
});
