// The frame reader against frames made by ws's own Sender (the maintained implementation), with
// and without masks, fragmented, with control frames between fragments, fed in arbitrary pieces.
import test from 'ava';
import fc from 'fast-check';
import { wsFrame as frame } from '../../support/ws-frame.js';
import { FRAME_BUDGET, FRAME_FREE_BYTES, FrameReader, type MessageSink } from '../../../proxy/src/gradio/ws-frames.js';

interface Got { opcode: number; compressed: boolean; body: string }

function reader(): { r: FrameReader; got: Got[] } {
  const got: Got[] = [];
  let cur: { opcode: number; compressed: boolean; parts: Buffer[] } | undefined;
  const sink: MessageSink = {
    start: (opcode, compressed) => { cur = { opcode, compressed, parts: [] }; },
    data: (b) => { cur!.parts.push(b); },
    end: () => { got.push({ opcode: cur!.opcode, compressed: cur!.compressed, body: Buffer.concat(cur!.parts).toString('utf8') }); cur = undefined; },
  };
  return { r: new FrameReader(sink), got };
}

test('text messages, masked (client) and not (server), small, 16-bit and 64-bit lengths', (t) => {
  for (const mask of [false, true]) {
    const { r, got } = reader();
    const big = 'x'.repeat(70_000);
    const mid = 'é'.repeat(300);
    const bytes = Buffer.concat([frame('{"msg":"send_hash"}', { opcode: 1, mask }), frame(mid, { opcode: 1, mask }), frame(big, { opcode: 1, mask })]);
    const copy = Buffer.from(bytes);
    r.feed(bytes);
    t.deepEqual(got.map((g) => g.body), ['{"msg":"send_hash"}', mid, big]);
    t.deepEqual(bytes, copy, 'the bytes it was given are untouched');
  }
});

test('fragments with a ping between them make one message; RSV1 marks it compressed; a close stops the reading', (t) => {
  const { r, got } = reader();
  r.feed(Buffer.concat([
    frame('{"a":', { opcode: 1, fin: false, mask: true, rsv1: true }),
    frame('', { opcode: 9, mask: true }),
    frame('1}', { opcode: 0, mask: true }),
    frame(Buffer.from([3, 232]), { opcode: 8, mask: true }),
    frame('after close', { opcode: 1, mask: true }),
  ]));
  t.deepEqual(got, [{ opcode: 1, compressed: true, body: '{"a":1}' }]);
  t.true(r.isStopped);
});

test('property: however the bytes are cut, the same messages', (t) => {
  const msgs = ['{"msg":"estimation","rank":0}', 'y'.repeat(200), '{"data":["z"]}'];
  const bytes = Buffer.concat(msgs.map((m, i) => frame(m, { opcode: 1, mask: i % 2 === 0 })));
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 20 }), (cuts) => {
    const { r, got } = reader();
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    let from = 0;
    for (const p of [...points, bytes.length]) { r.feed(bytes.subarray(from, p)); from = p; }
    return JSON.stringify(got.map((g) => g.body)) === JSON.stringify(msgs);
  }));
  t.pass();
});

test('a continuation without a message, a reserved opcode or a huge length: reading stops, nothing throws', (t) => {
  for (const bad of [frame('x', { opcode: 0 }), frame('x', { opcode: 3 }), Buffer.from([0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
    const { r, got } = reader();
    r.feed(bad);
    r.feed(frame('later', { opcode: 1 }));
    t.true(r.isStopped);
    t.deepEqual(got, []);
  }
});

// A frame costs the reader (and a text message the capture behind it) a few microseconds
// whatever its size: a client's flood of one-byte frames cost the proxy about half a second of
// event loop per MiB it sent, a thousand times what forwarding the MiB did.
test('a flood of tiny frames stops the reading at the frame budget: the sink hears it once and gets nothing more', (t) => {
  let budget = 0;
  let started = 0;
  const sink: MessageSink = { start: () => { started++; }, data: () => undefined, end: () => undefined, overBudget: () => { budget++; } };
  const r = new FrameReader(sink);
  const tiny = frame('1', { opcode: 1, mask: true });
  const flood = Buffer.concat(Array.from({ length: 20_000 }, () => tiny));
  for (let i = 0; i < flood.length; i += 4096) r.feed(flood.subarray(i, i + 4096));
  t.is(budget, 1);
  t.true(r.isStopped);
  const allowed = FRAME_BUDGET + flood.length / FRAME_FREE_BYTES;
  t.true(started <= allowed && started > FRAME_BUDGET, `${started} messages read, ${allowed} allowed`);
});

test('frames the size of real messages are never over the budget, however many', (t) => {
  const { r, got } = reader();
  const msg = frame(`{"msg":"process_generating","output":{"data":["${'x'.repeat(FRAME_FREE_BYTES)}"]}}`, { opcode: 1 });
  const n = 3 * FRAME_BUDGET;
  r.feed(Buffer.concat(Array.from({ length: n }, () => msg)));
  t.is(got.length, n);
  t.false(r.isStopped);
});
