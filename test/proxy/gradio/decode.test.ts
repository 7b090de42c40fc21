import test from 'ava';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { decodingFeeder } from '../../../proxy/src/gradio/decode.js';

// A decompression bomb: a few KiB on the wire, megabytes once inflated.
const PLAIN = Buffer.from('[' + '0,'.repeat(4 << 20) + '0]');

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
