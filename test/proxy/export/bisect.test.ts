// Issue 9, defect 3, export side: one span the backend refuses must not cost every other span in
// its batch. Real Zipkin codec and HTTP transport against a fake collector that answers 400 to any
// batch holding a marked span.
import test from 'ava';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { otlpCodec, zipkinCodec } from '../../../proxy/src/export/codecs.js';
import { ExportQueue, type QueueOptions } from '../../../proxy/src/export/queue.js';
import { httpTransport } from '../../../proxy/src/export/transport.js';
import { until } from '../../support/until.js';

interface Collector { readonly url: URL; readonly accepted: string[]; posts: number; close(): Promise<void> }

/** 400 for a batch with a span tagged mark=bad (or, with `status`, that status), else 202. */
async function collector(status = 400): Promise<Collector> {
  const accepted: string[] = [];
  const c = { accepted, posts: 0 } as { accepted: string[]; posts: number };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      c.posts++;
      const spans = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; tags?: Record<string, string> }[];
      if (spans.some((s) => s.tags?.mark === 'bad')) { res.statusCode = status; res.end('refused'); return; }
      accepted.push(...spans.map((s) => s.name));
      res.statusCode = 202;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/spans`);
  return Object.assign(c, { url, close: () => new Promise<void>((r) => server.close(() => r())) });
}

function makeSpans(n: number, marked: ReadonlySet<number>, parent = ROOT_CONTEXT): ReadableSpan[] {
  const mem = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'svc' }), spanProcessors: [new SimpleSpanProcessor(mem)] });
  const tracer = provider.getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`, { attributes: marked.has(i) ? { mark: 'bad' } : {} }, parent).end();
  return mem.getFinishedSpans();
}

function counting() {
  const c = { exported: 0, dropped: {} as Record<string, number> };
  return {
    c,
    counters: {
      exported: (n: number) => { c.exported += n; },
      retried: () => {}, spooled: () => {}, replayed: () => {}, attempt: () => {},
      dropped: (n: number, r: string) => { if (n > 0) c.dropped[r] = (c.dropped[r] ?? 0) + n; },
    },
  };
}

const opts: QueueOptions = { maxQueueSpans: 1000, maxBatchSpans: 64, scheduleDelayMs: 5, retryInitialMs: 2, retryMaxMs: 10, maxAttempts: 3 };


test('a refused batch is bisected: only the marked spans are dropped, as rejected; the rest arrive', async (t) => {
  const col = await collector();
  const { c, counters } = counting();
  const q = new ExportQueue('zipkin', zipkinCodec('svc'), httpTransport({ url: col.url, timeoutMs: 2000 }), opts, counters);
  const marked = new Set([3, 40]);
  q.add(makeSpans(64, marked));
  await until(() => c.exported + (c.dropped.rejected ?? 0) === 64);
  t.is(c.dropped.rejected, 2);
  t.is(c.exported, 62);
  t.deepEqual([...col.accepted].sort(), Array.from({ length: 64 }, (_, i) => `s${i}`).filter((_, i) => !marked.has(i)).sort());
  // Bounded: each marked span costs at most 2·log2(64) refused requests, on top of the accepted ones.
  t.true(col.posts <= 1 + 2 * 2 * Math.log2(64) + 2 * 2, `posts: ${col.posts}`);
  await q.drain(100);
  await col.close();
});

test('a refusal no smaller batch can get past (401) drops the batch whole, without bisecting', async (t) => {
  const col = await collector(401);
  const { c, counters } = counting();
  const q = new ExportQueue('zipkin', zipkinCodec('svc'), httpTransport({ url: col.url, timeoutMs: 2000 }), opts, counters);
  q.add(makeSpans(16, new Set([0])));
  await until(() => (c.dropped.rejected ?? 0) === 16);
  t.is(col.posts, 1);
  await q.drain(100);
  await col.close();
});

test('a span that breaks Zipkin\'s id rules is dropped before encoding, as invalid: the batch goes through in one request', async (t) => {
  const col = await collector();
  const { c, counters } = counting();
  const q = new ExportQueue('zipkin', zipkinCodec('svc'), httpTransport({ url: col.url, timeoutMs: 2000 }), opts, counters);
  // The SDK checks ids case-insensitively, so an upper-case parent gives children upper-case trace ids.
  const upper = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'ABCDEF0123456789ABCDEF0123456789', spanId: 'ABCDEF0123456789', traceFlags: 1, isRemote: true });
  q.add([...makeSpans(5, new Set()), ...makeSpans(2, new Set(), upper)]);
  await until(() => c.exported === 5);
  t.is(c.dropped.invalid, 2);
  t.false('rejected' in c.dropped);
  t.is(col.posts, 1);
  await q.drain(100);
  await col.close();
});

test('OTLP/JSON batches split into halves that keep their resource and scope', (t) => {
  const codec = otlpCodec('http/json');
  const body = codec.encode(makeSpans(5, new Set()));
  const halves = codec.split!(body)!;
  t.deepEqual(halves.map((h) => h.spans), [3, 2]);
  const names = halves.map((h) => {
    const req = JSON.parse(Buffer.from(h.body).toString());
    t.truthy(req.resourceSpans[0].resource);
    t.truthy(req.resourceSpans[0].scopeSpans[0].scope);
    return req.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
  });
  t.deepEqual(names, [['s0', 's1', 's2'], ['s3', 's4']]);
  t.is(codec.split!(halves[1]!.body)!.length, 2);
  t.is(codec.split!(codec.encode(makeSpans(1, new Set()))), undefined);
});

test('OTLP/protobuf batches split at the wire level: each half is byte for byte the encoding of its spans', (t) => {
  const codec = otlpCodec('http/protobuf');
  const mem = new InMemorySpanExporter();
  // Two resources and two scopes, so the split has to cut through the nesting.
  for (const svc of ['a', 'b']) {
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': svc }), spanProcessors: [new SimpleSpanProcessor(mem)] });
    for (const scope of ['x', 'y']) for (let i = 0; i < 2; i++) provider.getTracer(scope).startSpan(`${svc}.${scope}.${i}`, { attributes: { i } }).end();
  }
  const spans = mem.getFinishedSpans();
  const halves = codec.split!(codec.encode(spans))!;
  t.deepEqual(halves.map((h) => h.spans), [4, 4]);
  t.deepEqual(Buffer.from(halves[0]!.body), Buffer.from(codec.encode(spans.slice(0, 4))));
  t.deepEqual(Buffer.from(halves[1]!.body), Buffer.from(codec.encode(spans.slice(4))));
  const quarter = codec.split!(halves[0]!.body)!;
  t.deepEqual(Buffer.from(quarter[1]!.body), Buffer.from(codec.encode(spans.slice(2, 4))));
  t.is(codec.split!(codec.encode(spans.slice(0, 1))), undefined);
  t.is(codec.split!(Uint8Array.from([0xff, 0xff, 0xff])), undefined, 'not protobuf: not split');
});

test('property: any bytes in, the protobuf split never throws; halves hold every span exactly once', (t) => {
  const codec = otlpCodec('http/protobuf');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const h = codec.split!(bytes);
    return h === undefined || (h[0].spans >= 1 && h[1].spans >= 1);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.integer({ min: 2, max: 30 }), (n) => {
    const h = codec.split!(codec.encode(makeSpans(n, new Set())))!;
    return h[0].spans + h[1].spans === n && h[0].spans - h[1].spans <= 1;
  }), { numRuns: 30 });
  t.pass();
});
