// permessage-deflate undone on the side: messages compressed the way RFC 7692 senders do (a raw
// deflate stream flushed with Z_SYNC_FLUSH per message, its 00 00 ff ff tail cut), with the
// window kept across messages (context takeover) or not, and a bomb past the budget.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { INFLATE_FLOOR, INFLATE_RATIO } from '../../../proxy/src/gradio/inflate-budget.js';
import type { JsonCapture } from '../../../proxy/src/gradio/json-capture.js';
import { INFLATE_BUDGET, MessageReader, negotiatedDeflate } from '../../../proxy/src/gradio/ws-messages.js';
import { wsFrame } from '../../support/ws-frame.js';

function compressor(): (text: string) => Promise<Buffer> {
  let z: DeflateRaw = createDeflateRaw();
  return (text) => new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    z.on('data', onData);
    z.write(text);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      const all = Buffer.concat(out);
      resolve(all.subarray(0, all.length - 4));
    });
  });
}

/** One unmasked text frame, with RSV1 (compressed) set unless told otherwise. */
const frame = (payload: Buffer, rsv1 = true) => wsFrame(payload, { opcode: 1, rsv1 });

function collect(deflate: { noContextTakeover: boolean } | undefined) {
  const captures: JsonCapture[] = [];
  let tooLarge = 0;
  const reader = new MessageReader(deflate, (c) => captures.push(c), (kind) => { if (kind === 'too_large') tooLarge++; });
  return { reader, values: async () => Promise.all(captures.map(async (c) => (await c.result).value)), tooLarge: () => tooLarge };
}

test('negotiated parameters are read from the 101 answer', (t) => {
  t.deepEqual(negotiatedDeflate('permessage-deflate; server_max_window_bits=12; client_max_window_bits=12'), { serverNoContextTakeover: false, clientNoContextTakeover: false });
  t.deepEqual(negotiatedDeflate(['x-other', 'permessage-deflate; server_no_context_takeover']), { serverNoContextTakeover: true, clientNoContextTakeover: false });
  t.is(negotiatedDeflate(undefined), undefined);
});

test('compressed messages with context takeover: the second one needs the first one\'s window', async (t) => {
  const deflate = compressor();
  const m1 = JSON.stringify({ msg: 'process_generating', output: { data: ['the same words again and again'] } });
  const m2 = JSON.stringify({ msg: 'process_completed', output: { data: ['the same words again and again'] } });
  const c1 = await deflate(m1);
  const c2 = await deflate(m2);
  const { reader, values } = collect({ noContextTakeover: false });
  const bytes = Buffer.concat([frame(c1), frame(Buffer.from('{"msg":"heartbeat"}'), false), frame(c2)]);
  for (let i = 0; i < bytes.length; i += 7) reader.feed(bytes.subarray(i, i + 7));
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(await values(), [JSON.parse(m1), { msg: 'heartbeat' }, JSON.parse(m2)]);
});

test('no context takeover: each message inflates on its own', async (t) => {
  const m = ['{"msg":"estimation","rank":1}', '{"msg":"estimation","rank":0}'];
  const parts = await Promise.all(m.map((x) => compressor()(x)));
  const { reader, values } = collect({ noContextTakeover: true });
  reader.feed(Buffer.concat(parts.map((p) => frame(p))));
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(await values(), m.map((x) => JSON.parse(x)));
});

test('a message that inflates past the budget stops the reading; nothing throws; open messages end', async (t) => {
  const bomb = await compressor()(`{"data":"${'a'.repeat(INFLATE_BUDGET + 1024)}"}`);
  t.true(bomb.length < 200_000, `${bomb.length} compressed bytes`);
  const { reader, values, tooLarge } = collect({ noContextTakeover: false });
  const f = Buffer.concat([Buffer.from([0xc1, 127, 0, 0, 0, 0]), Buffer.alloc(4), bomb]);
  f.writeUInt32BE(bomb.length, 6);
  reader.feed(f);
  await new Promise((r) => setTimeout(r, 2000));
  t.is(tooLarge(), 1);
  const settled = await Promise.race([values().then(() => 'ended'), new Promise((r) => setTimeout(() => r('hung'), 1000))]);
  t.is(settled, 'ended', 'the open message ended (partial), it did not hang');
});

// Found with Chromium on Gradio 3.50.2 on a busy machine: the app sends process_completed and
// closes the socket at once; the close came while that last message was still inflating, cut it
// short, and the prediction ended "cancelled" although the client had its result.
test('the connection closes right after a whole compressed message: it still inflates in full; a message cut short ends as it is', async (t) => {
  const deflate = compressor();
  const last = JSON.stringify({ msg: 'process_completed', output: { data: ['resworb', 7] }, success: true });
  const { reader, values } = collect({ noContextTakeover: false });
  const whole = await deflate(last);
  const cut = await deflate('{"msg":"never ends"}');
  reader.feed(Buffer.concat([frame(whole), frame(cut).subarray(0, 6)]));
  reader.close();
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(await values(), [JSON.parse(last)], 'the whole message, and nothing of the cut one');
});

test('a flood of tiny messages is reported once as too_many_frames, and the reading stops', async (t) => {
  const captures: JsonCapture[] = [];
  const problems: string[] = [];
  const reader = new MessageReader(undefined, (c) => captures.push(c), (kind) => problems.push(kind));
  const tiny = frame(Buffer.from('1'), false);
  reader.feed(Buffer.concat(Array.from({ length: 50_000 }, () => tiny)));
  const read = captures.length;
  reader.feed(Buffer.concat(Array.from({ length: 1000 }, () => tiny)));
  t.deepEqual(problems, ['too_many_frames']);
  t.is(captures.length, read, 'nothing is read after it');
  t.true(read < 50_000, `${read} messages read`);
  await Promise.all(captures.map((c) => c.result));
});

/** Feeds one compressed message in pieces, as a socket would, and waits until its inflation is over. */
async function feedCompressed(text: string, deflate: { noContextTakeover: boolean }) {
  const payload = await compressor()(text);
  const c = collect(deflate);
  const f = frame(payload);
  for (let i = 0; i < f.length; i += 16 << 10) c.reader.feed(f.subarray(i, i + (16 << 10)));
  await Promise.race([c.values(), new Promise((r) => setTimeout(r, 5000))]);
  return { ...c, compressed: payload.length };
}

// Found while measuring what the fuzzer's websocket cases cost: one 95 KB message that
// inflates to 96 MiB cost the proxy 150-185 ms of CPU, 40 times what the same bytes cost
// uncompressed, because only the connection's 64 MiB budget stopped it. A client could send one
// per connection, on as many connections as it liked (test/e2e/hostile-observation.test.ts).
for (const noContextTakeover of [false, true]) {
  test(`${noContextTakeover ? 'no context takeover' : 'context takeover'}: a message that inflates a thousandfold stops the reading past floor + ratio × its size, far below the budget`, async (t) => {
    const { tooLarge, compressed } = await feedCompressed(`{"data":"${'a'.repeat(2 * INFLATE_FLOOR)}"}`, { noContextTakeover });
    t.true(INFLATE_FLOOR + INFLATE_RATIO * compressed < 2 * INFLATE_FLOOR && 2 * INFLATE_FLOOR < INFLATE_BUDGET, `${compressed} compressed bytes`);
    t.is(tooLarge(), 1);
  });
}

test('a message of several MiB that compresses as real payloads do is read whole', async (t) => {
  // Base64 (a Gradio 3.x inline upload) deflates about 4:3.
  const audio = randomBytes(3 * INFLATE_FLOOR).toString('base64');
  const { tooLarge, values } = await feedCompressed(JSON.stringify({ data: [audio], fn_index: 0 }), { noContextTakeover: false });
  t.is(tooLarge(), 0);
  const [value] = await values();
  t.like(value, { fn_index: 0, data: [{ kind: 'long-string', length: audio.length }] });
});
