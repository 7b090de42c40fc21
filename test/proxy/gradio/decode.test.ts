import test from 'ava';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { decodingFeeder } from '../../../proxy/src/gradio/decode.js';
import { INFLATE_FLOOR, INFLATE_RATIO } from '../../../proxy/src/gradio/inflate-budget.js';

// A decompression bomb, within the inflate budget: a few KiB on the wire, megabytes once inflated.
const PLAIN = Buffer.from('[' + '0,'.repeat(256 << 10) + '0]');

function decode(encoded: Buffer, encoding: string, wants?: (seen: number) => boolean) {
  return new Promise<{ seen: number; ends: number; afterStop: number }>((resolve) => {
    let seen = 0;
    let ends = 0;
    let stopped = false;
    let afterStop = 0;
    const f = decodingFeeder(encoding, (c) => { seen += c.length; if (stopped) afterStop++; }, () => { ends++; setTimeout(() => resolve({ seen, ends, afterStop }), 50); },
      wants ? () => { const w = wants(seen); if (!w) stopped = true; return w; } : undefined);
    for (let i = 0; i < encoded.length; i += 1024) f.feed(encoded.subarray(i, i + 1024));
    f.end();
    f.end();
  });
}

for (const [encoding, encoded] of [['gzip', gzipSync(PLAIN)], ['br', brotliCompressSync(PLAIN)]] as const) {
  test(`${encoding}: everything is decoded while the sink wants it`, async (t) => {
    const r = await decode(encoded, encoding);
    t.is(r.seen, PLAIN.length);
    t.is(r.ends, 1);
  });

  test(`${encoding}: once the sink wants no more, decoding stops and the end is told once`, async (t) => {
    t.true(encoded.length < 64 * 1024, `the bomb is small on the wire (${encoded.length} bytes)`);
    const r = await decode(encoded, encoding, (seen) => seen < 64 * 1024);
    t.is(r.ends, 1);
    t.is(r.afterStop, 0, 'nothing reaches the sink after it said no');
    t.true(r.seen < PLAIN.length / 4, `decoded ${r.seen} of ${PLAIN.length} bytes`);
  });
}

// Found while measuring what the fuzzer's websocket cases cost: a response of 510 KB
// gzip that inflates to 512 MiB, one long string, cost the proxy 1.5 s of CPU, since a capture reads
// a long string to its end. Decoding is now bounded by the bytes passed (inflate-budget.ts).
test('gzip: a bomb is decoded only to floor + ratio × its size, then the sink is stopped and the end told once', async (t) => {
  const bomb = gzipSync(Buffer.concat([Buffer.from('{"data":["'), Buffer.alloc(64 << 20, 0x41), Buffer.from('"]}')]));
  const sink = { seen: 0, stops: 0, ends: 0, afterStop: 0, feed(c: Buffer) { this.seen += c.length; if (this.stops) this.afterStop++; }, stop() { this.stops++; } };
  await new Promise<void>((resolve) => {
    const f = decodingFeeder('gzip', (c) => sink.feed(c), () => { sink.ends++; setTimeout(resolve, 50); }, undefined, () => sink.stop());
    for (let i = 0; i < bomb.length; i += 16 << 10) f.feed(bomb.subarray(i, i + (16 << 10)));
    f.end();
  });
  const allowed = INFLATE_FLOOR + INFLATE_RATIO * bomb.length;
  t.true(sink.seen <= allowed, `decoded ${sink.seen} bytes of ${64 << 20}; allowed ${allowed}`);
  t.true(sink.seen >= allowed - (64 << 10), `decoded ${sink.seen}: up to the budget, not less`);
  t.is(sink.stops, 1);
  t.is(sink.ends, 1);
  t.is(sink.afterStop, 0);
});

test('gzip: a large body that compresses as JSON does is decoded whole', async (t) => {
  // Varied enough to compress about 4:1.
  const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, label: `row ${(i * 7919) % 100_003}`, v: (i * 2654435761) % 4294967296 }));
  const plain = Buffer.from(JSON.stringify(rows));
  t.true(plain.length > 2 * INFLATE_FLOOR, `${plain.length} bytes`);
  const r = await decode(gzipSync(plain), 'gzip');
  t.is(r.seen, plain.length);
});
