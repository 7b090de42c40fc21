import test from 'ava';
import { JsonCapture, isLongString } from '../../../proxy/src/gradio/json-capture.js';

async function capture(body: string | Buffer, limits?: ConstructorParameters<typeof JsonCapture>[0], chunk = 7) {
  const c = new JsonCapture(limits);
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  for (let i = 0; i < b.length; i += chunk) c.feed(b.subarray(i, i + chunk));
  c.end();
  return c.result;
}

test('a Gradio join body is captured whole, across chunk boundaries and UTF-8 splits', async (t) => {
  const body = { data: ['我是通义实验室', '3s极速复刻', null, 0, false, { path: '/tmp/gradio/x/prompt.wav', meta: { _type: 'gradio.FileData' } }], fn_index: 1, session_hash: 'x1y2' };
  const r = await capture(JSON.stringify(body), undefined, 3);
  t.deepEqual(r.value, body);
  t.false(r.invalid);
});

test('long strings keep only their length and head', async (t) => {
  const b64 = 'data:audio/wav;base64,' + 'QUJD'.repeat(100_000);
  const r = await capture(JSON.stringify({ data: [{ name: 'a.wav', data: b64 }] }), { maxString: 100, headChars: 50, maxNodes: 100 }, 4096);
  const d = ((r.value as { data: { data: unknown }[] }).data[0]!).data;
  t.true(isLongString(d));
  t.is((d as { length: number }).length, b64.length);
  t.is((d as { head: string }).head, b64.slice(0, 50));
});

test('malformed JSON is reported, never thrown', async (t) => {
  for (const bad of ['{"data": [1, 2', 'not json', '{"a":}', '']) {
    const r = await capture(bad);
    t.true(r.invalid || r.value === undefined, bad);
  }
});

test('node budget truncates instead of growing', async (t) => {
  const r = await capture(JSON.stringify({ data: Array.from({ length: 1000 }, (_, i) => i) }), { maxString: 10, headChars: 10, maxNodes: 50 });
  t.true(r.truncated);
  t.true(((r.value as { data: unknown[] }).data).length < 50);
});

test('small bodies (parsed whole) follow the same limits as streamed ones', async (t) => {
  const body = JSON.stringify({ data: ['short', 'x'.repeat(500)] });
  const limits = { maxString: 100, headChars: 20, maxNodes: 100 };
  const small = await capture(body, limits);
  const streamed = await capture(body + ' '.repeat(70_000), limits);
  t.deepEqual(small.value, streamed.value);
  t.deepEqual((small.value as { data: unknown[] }).data[1], { kind: 'long-string', length: 500, head: 'x'.repeat(20) });
});
