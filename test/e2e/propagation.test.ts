// Propagation matrix against a real Zipkin (issue #2): whatever the client sends, the app gets
// W3C and B3 headers for one trace whose parent is our CLIENT span, and Zipkin stores exactly
// SERVER -> CLIENT with the right parent.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { raw } from '../support/http.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

let up: Upstream;
let proxy: RunningProxy;

test.before(async () => {
  up = await startUpstream();
  proxy = await startProxy({ upstream: up.url, zipkinUrl: await zipkinUrl() });
});
test.after.always(async () => {
  await proxy?.stop();
  await up?.close();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Case {
  readonly name: string;
  readonly headers: () => { headers: Record<string, string>; traceId?: string; parentId?: string };
}

const cases: Case[] = [
  { name: 'none', headers: () => ({ headers: {} }) },
  { name: 'W3C', headers: () => { const tr = hex(16); const sp = hex(8); return { headers: { traceparent: `00-${tr}-${sp}-01`, tracestate: 'acme=1' }, traceId: tr, parentId: sp }; } },
  { name: 'B3 single', headers: () => { const tr = hex(16); const sp = hex(8); return { headers: { b3: `${tr}-${sp}-1` }, traceId: tr, parentId: sp }; } },
  { name: 'B3 multi', headers: () => { const tr = hex(16); const sp = hex(8); return { headers: { 'x-b3-traceid': tr, 'x-b3-spanid': sp, 'x-b3-sampled': '1' }, traceId: tr, parentId: sp }; } },
  { name: 'malformed W3C', headers: () => ({ headers: { traceparent: `00-${hex(16)}-nothex!!-01` } }) },
  { name: 'malformed B3 single', headers: () => ({ headers: { b3: `${hex(16)}` } }) },
  { name: 'malformed B3 multi', headers: () => ({ headers: { 'x-b3-traceid': 'not-hex', 'x-b3-spanid': hex(8), 'x-b3-sampled': '1' } }) },
];

function byKind(spans: ZipkinSpan[], kind: 'SERVER' | 'CLIENT'): ZipkinSpan {
  const found = spans.filter((s) => s.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} span, got ${JSON.stringify(spans)}`);
  return found[0]!;
}

for (const c of cases) {
  test(`inbound ${c.name}`, async (t) => {
    const { headers, traceId, parentId } = c.headers();
    const marker = hex(6);
    const res = await raw(`${proxy.url}/echo?m=${marker}`, { method: 'GET', headers });
    t.is(res.status, 200, 'a bad trace header never fails the request');
    const seen = up.seen.find((s) => s.url === `/echo?m=${marker}`)!;
    const tp = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(seen.headers.traceparent));
    t.truthy(tp, `traceparent upstream: ${seen.headers.traceparent}`);
    const [, upTrace, upParent] = tp!;
    t.is(seen.headers.b3, `${upTrace}-${upParent}-1`);
    t.is(seen.headers['x-b3-traceid'], upTrace);
    t.is(seen.headers['x-b3-spanid'], upParent);
    t.is(seen.headers['x-b3-sampled'], '1');
    t.is(res.headers['x-trace-id'], upTrace);
    if (traceId) t.is(upTrace, traceId, 'the inbound trace is continued');
    else if (headers.traceparent || headers.b3 || headers['x-b3-traceid']) {
      t.false(JSON.stringify(headers).includes(upTrace!), 'a malformed header starts a new root');
    }
    if (c.name === 'W3C') t.is(seen.headers.tracestate, 'acme=1');

    const spans = await getTrace(upTrace!, { minSpans: 2 });
    t.is(spans.length, 2, JSON.stringify(spans.map((s) => s.name)));
    const server = byKind(spans, 'SERVER');
    const client = byKind(spans, 'CLIENT');
    t.is(server.name?.toLowerCase(), 'get /*');
    t.is(server.parentId, parentId, 'SERVER span parent is the inbound span (none for a new root)');
    t.is(client.parentId, server.id);
    t.is(client.id, upParent, 'the parent the app sees is our CLIENT span');
    t.is(server.tags?.['http.route'], '/*');
    t.is(server.tags?.['http.response.status_code'], '200');
    if (c.name.startsWith('malformed')) t.truthy(server.tags?.['tts.proxy.invalid_propagation']);
  });
}

test('malformed headers are counted in /metrics', async (t) => {
  await raw(`${proxy.url}/echo`, { method: 'GET', headers: { traceparent: 'zz' } });
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const m = /tts_proxy_propagation_invalid_total\{format="tracecontext"\} (\d+)/.exec(metrics);
  t.truthy(m);
  t.true(Number(m![1]) >= 1);
});

test('upstream down: the error span says upstream_unavailable', async (t) => {
  const { closedPort } = await import('../support/ports.js');
  const down = await startProxy({ upstream: `http://127.0.0.1:${await closedPort()}`, zipkinUrl: await zipkinUrl() });
  try {
    const res = await raw(`${down.url}/gradio_api/queue/join`, { body: Buffer.from('{}') });
    t.is(res.status, 502);
    const spans = await getTrace(String(res.headers['x-trace-id']), { minSpans: 2 });
    const server = byKind(spans, 'SERVER');
    t.is(server.tags?.['error.type'], 'upstream_unavailable');
    t.truthy(server.tags?.error, 'Zipkin marks the span as an error');
    t.is(server.tags?.['http.response.status_code'], '502');
    t.is(byKind(spans, 'CLIENT').tags?.['error.type'], 'upstream_unavailable');
  } finally {
    await down.stop();
  }
});

test('client abort: span is kept, marked aborted, not an error', async (t) => {
  const { request } = await import('node:http');
  const traceId = await new Promise<string>((resolve) => {
    const req = request(`${proxy.url}/hang`, (res) => {
      res.once('data', () => { req.destroy(); resolve(String(res.headers['x-trace-id'])); });
    });
    req.end();
  });
  const spans = await getTrace(traceId, { minSpans: 2 });
  const server = byKind(spans, 'SERVER');
  t.is(server.tags?.['tts.proxy.client_aborted'], 'true');
  t.is(server.tags?.error, undefined);
  t.is(server.tags?.['error.type'], undefined);
});
