// Issue 9, defect 3: ids that break the spec must never reach the backend. One request with
// upper-case B3 ids used to be continued as it was, exported as it was, and Zipkin refused the
// whole batch (400) so every other client's spans in it were lost as `rejected`. Against the real
// proxy process and a real Zipkin: hostile headers start a fresh, valid root; normal traces still
// arrive; nothing is rejected. Plus issue 9, defect 9 (part): an over-long tracestate.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { raw } from '../support/http.js';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { getTrace, zipkinUrl } from '../support/zipkin.js';

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
const VALID_TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

async function send(path: string, headers: Record<string, string>) {
  const marker = hex(6);
  const url = `${path}?m=${marker}`;
  const res = await raw(`${proxy.url}${url}`, { method: 'GET', headers });
  const seen = up.seen.find((s) => s.url === url);
  return { res, seen };
}

/** The hostile ids must appear nowhere: not in the response, not upstream, not in Zipkin. */
async function assertFreshRoot(t: import('ava').ExecutionContext, headers: Record<string, string>, hostile: readonly string[]) {
  const { res, seen } = await send('/echo', headers);
  t.is(res.status, 200);
  const traceId = String(res.headers['x-trace-id']);
  t.regex(traceId, /^[0-9a-f]{32}$/, 'X-Trace-Id is a valid W3C trace id');
  t.regex(String(res.headers.traceresponse), VALID_TRACEPARENT);
  const tp = VALID_TRACEPARENT.exec(String(seen?.headers.traceparent));
  t.truthy(tp, `traceparent upstream is valid: ${seen?.headers.traceparent}`);
  t.is(tp![1], traceId);
  for (const h of hostile) {
    t.false(traceId.includes(h.toLowerCase()), 'the hostile trace id is not continued');
    t.false(JSON.stringify(seen?.headers).toLowerCase().includes(h.toLowerCase()), 'nor sent upstream');
  }
  const spans = await getTrace(traceId, { minSpans: 2 });
  const server = spans.find((s) => s.kind === 'SERVER');
  t.truthy(server);
  t.is(server!.parentId, undefined, 'a new root');
  t.truthy(server!.tags?.['tts.proxy.invalid_propagation']);
}

test.serial('upper-case B3 multi ids start a new valid root', async (t) => {
  const tr = hex(16).toUpperCase();
  const sp = hex(8).toUpperCase();
  await assertFreshRoot(t, { 'x-b3-traceid': tr, 'x-b3-spanid': sp, 'x-b3-sampled': '1' }, [tr, sp]);
});

test.serial('B3 multi with a trace id of the wrong length starts a new root', async (t) => {
  const tr = hex(12);
  await assertFreshRoot(t, { 'x-b3-traceid': tr, 'x-b3-spanid': hex(8), 'x-b3-sampled': '1' }, [tr]);
});

test.serial('B3 single with trailing garbage starts a new root', async (t) => {
  const tr = hex(16);
  const sp = hex(8);
  await assertFreshRoot(t, { b3: `${tr}-${sp}-1-${hex(8)}-garbage` }, [tr]);
  await assertFreshRoot(t, { b3: `${tr}-${sp}-1x` }, [tr]);
});

test.serial('upper-case traceparent starts a new root', async (t) => {
  const tr = hex(16).toUpperCase();
  await assertFreshRoot(t, { traceparent: `00-${tr}-${hex(8)}-01` }, [tr]);
});

test.serial('a tracestate over 512 characters is truncated by whole members, never sent empty', async (t) => {
  const tr = hex(16);
  const sp = hex(8);
  const long = `big=${'x'.repeat(200)}`;
  const members = ['a=1', long, ...Array.from({ length: 25 }, (_, i) => `k${i}=${'v'.repeat(16)}`)];
  const tracestate = members.join(',');
  t.true(tracestate.length > 512);
  const { res, seen } = await send('/echo', { traceparent: `00-${tr}-${sp}-01`, tracestate });
  t.is(res.status, 200);
  t.is(res.headers['x-trace-id'], tr, 'the traceparent is kept');
  const sent = seen?.headers.tracestate;
  t.is(typeof sent, 'string');
  t.true(String(sent).length > 0 && String(sent).length <= 512, `tracestate upstream: ${sent}`);
  const kept = String(sent).split(',');
  t.false(kept.includes(long), 'the member over 128 characters goes first');
  t.is(kept[0], 'a=1', 'the leftmost (newest) members are kept');
  for (const m of kept) t.true(members.includes(m), 'only whole members');
});

test.serial('a tracestate whose only member is over 512 characters is not sent at all (never empty)', async (t) => {
  const tr = hex(16);
  const member = `${'a'.repeat(256)}=${'v'.repeat(256)}`;
  const { res, seen } = await send('/echo', { traceparent: `00-${tr}-${hex(8)}-01`, tracestate: member });
  t.is(res.headers['x-trace-id'], tr);
  t.false('tracestate' in (seen?.headers ?? {}), `tracestate upstream: ${JSON.stringify(seen?.headers.tracestate)}`);
});

test.serial('an invalid tracestate is dropped, the traceparent kept', async (t) => {
  const tr = hex(16);
  const { res, seen } = await send('/echo', { traceparent: `00-${tr}-${hex(8)}-01`, tracestate: 'UPPER=1,=x' });
  t.is(res.headers['x-trace-id'], tr);
  t.false('tracestate' in (seen?.headers ?? {}), `tracestate upstream: ${JSON.stringify(seen?.headers.tracestate)}`);
});

test.serial('one hostile client per second does not silence anyone: every normal trace reaches Zipkin', async (t) => {
  const before = metricValue(await scrape(proxy.adminUrl), 'tts_proxy_export_dropped_spans_total', { reason: 'rejected' });
  const normal: string[] = [];
  // Bounded: 4 rounds, each one hostile request and a few normal clients in the same export batch.
  for (let round = 0; round < 4; round++) {
    const hostile = [
      { 'x-b3-traceid': hex(16).toUpperCase(), 'x-b3-spanid': hex(8).toUpperCase(), 'x-b3-sampled': '1' },
      { b3: `${hex(16)}-${hex(8)}-1-trailing` },
      { 'x-b3-traceid': hex(16), 'x-b3-spanid': hex(8), 'x-b3-parentspanid': 'NOTHEX', 'x-b3-sampled': '1' },
      { traceparent: `00-${hex(16).toUpperCase()}-${hex(8)}-01` },
    ][round]!;
    const reqs: Promise<string>[] = [raw(`${proxy.url}/echo`, { method: 'GET', headers: hostile }).then((r) => String(r.headers['x-trace-id']))];
    for (let i = 0; i < 4; i++) {
      const tr = hex(16);
      normal.push(tr);
      reqs.push(raw(`${proxy.url}/echo`, { method: 'GET', headers: { traceparent: `00-${tr}-${hex(8)}-01` } }).then(() => tr));
    }
    await Promise.all(reqs);
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const tr of normal) {
    const spans = await getTrace(tr, { minSpans: 2, settleMs: 0 });
    t.is(spans.length, 2, `normal trace ${tr} reached Zipkin`);
  }
  const after = metricValue(await scrape(proxy.adminUrl), 'tts_proxy_export_dropped_spans_total', { reason: 'rejected' });
  t.is(after - before, 0, 'no batch was rejected');
});

test.serial('invalid headers are counted by format', async (t) => {
  const metrics = await scrape(proxy.adminUrl);
  t.true(metricValue(metrics, 'tts_proxy_propagation_invalid_total', { format: 'b3multi' }) >= 1);
  t.true(metricValue(metrics, 'tts_proxy_propagation_invalid_total', { format: 'b3' }) >= 1);
  t.true(metricValue(metrics, 'tts_proxy_propagation_invalid_total', { format: 'tracecontext' }) >= 1);
  t.true(metricValue(metrics, 'tts_proxy_propagation_invalid_total', { format: 'tracestate' }) >= 1);
});
