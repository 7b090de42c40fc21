import test from 'ava';
import fc from 'fast-check';
import { SseTokenizer, type SseEvent } from '../../../proxy/src/gradio/sse.js';

function feedAll(t: SseTokenizer, chunks: Buffer[]): SseEvent[] {
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...t.feed(c));
  out.push(...t.end());
  return out;
}

test('Gradio queue/data framing: one data line per message, blank line between', (t) => {
  const s = new SseTokenizer();
  const ev = feedAll(s, [Buffer.from('data: {"msg":"estimation","rank":0}\n\ndata: {"msg":"heartbeat"}\n\n')]);
  t.deepEqual(ev, [{ event: 'message', data: '{"msg":"estimation","rank":0}' }, { event: 'message', data: '{"msg":"heartbeat"}' }]);
});

test('/call named events, CRLF, comments and multi-line data', (t) => {
  const s = new SseTokenizer();
  const ev = feedAll(s, [Buffer.from(': keepalive\r\nevent: generating\r\ndata: [1]\r\n\r\nevent: complete\ndata: a\ndata: b\n\n')]);
  t.deepEqual(ev, [{ event: 'generating', data: '[1]' }, { event: 'complete', data: 'a\nb' }]);
});

test('a truncated stream still yields its last event', (t) => {
  const s = new SseTokenizer();
  t.deepEqual(feedAll(s, [Buffer.from('data: {"msg":"process_completed"')]), [{ event: 'message', data: '{"msg":"process_completed"' }]);
});

test('events beyond the budget are dropped and counted, later ones survive', (t) => {
  const s = new SseTokenizer(100);
  const ev = feedAll(s, [Buffer.from(`data: ${'x'.repeat(500)}\n\ndata: ok\n\n`)]);
  t.deepEqual(ev, [{ event: 'message', data: 'ok' }]);
  t.is(s.oversized, 1);
});

test('property: any chunking of a stream (splitting UTF-8 too) gives the same events', (t) => {
  const message = fc.record({ event: fc.option(fc.constantFrom('generating', 'complete'), { nil: undefined }), data: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ' ')) });
  fc.assert(fc.property(fc.array(message, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), (msgs, cuts) => {
    const text = msgs.map((m) => `${m.event ? `event: ${m.event}\n` : ''}data: ${m.data}\n\n`).join('');
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    let at = 0;
    for (const c of cuts) { if (at >= bytes.length) break; chunks.push(bytes.subarray(at, at + c)); at += c; }
    if (at < bytes.length) chunks.push(bytes.subarray(at));
    const whole = feedAll(new SseTokenizer(), [bytes]);
    const split = feedAll(new SseTokenizer(), chunks);
    return JSON.stringify(whole) === JSON.stringify(split) && whole.length === msgs.length;
  }));
  t.pass();
});
