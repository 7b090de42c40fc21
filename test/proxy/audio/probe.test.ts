// Real encoded audio (Debian's ffmpeg, installed by scripts/setup-example.sh) read the way the
// proxy sees it: the first 256 KiB and the total size, never the whole file.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE_HEAD_BYTES, probeAudio, probeDataUrl } from '../../../proxy/src/audio/probe.js';
import { makeWav } from '../../support/audio.js';

const dir = mkdtempSync(join(tmpdir(), 'probe-'));

function encode(ext: string, args: string[], seconds: number, rate = 22050, channels = 1): Buffer {
  const out = join(dir, `tone.${ext}`);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`,
    '-ac', String(channels), ...args, out]);
  return readFileSync(out);
}

const formats: [string, string[], string, number][] = [
  ['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k'], 'mp3', 0.08],
  ['flac', ['-c:a', 'flac'], 'flac', 0.01],
  ['ogg', ['-c:a', 'libopus', '-b:a', '32k'], 'ogg', 0.05],
  ['m4a', ['-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart'], 'm4a', 0.08],
];

for (const [ext, args, format, tolerance] of formats) {
  test(`${ext}: format, rate, channels and duration from the head`, async (t) => {
    const bytes = encode(ext, args, 12.4, ext === 'ogg' ? 48000 : 22050, 1);
    const m = await probeAudio(bytes.subarray(0, PROBE_HEAD_BYTES), bytes.length);
    t.truthy(m);
    t.is(m!.format, format);
    t.is(m!.bytes, bytes.length);
    // MP4 sample entries say 2 channels for AAC whatever the stream holds (the truth is in esds).
    if (ext !== 'm4a') t.is(m!.channels, 1);
    t.truthy(m!.sampleRate);
    // Ogg keeps its length at the end: known only when the whole file fits in the head.
    if (m!.durationS !== undefined) t.true(Math.abs(m!.durationS - 12.4) / 12.4 < tolerance, `${ext} duration ${m!.durationS}`);
    else t.is(ext, 'ogg');
  });
}

test('a small ogg seen whole has its duration', async (t) => {
  const bytes = encode('ogg', ['-c:a', 'libopus', '-b:a', '16k'], 2, 48000);
  t.true(bytes.length < PROBE_HEAD_BYTES);
  const m = await probeAudio(bytes, bytes.length);
  t.true(Math.abs(m!.durationS! - 2) < 0.1);
});

test('3.x base64 data URL: duration from the head and the string length only', async (t) => {
  const wav = makeWav({ seconds: 3.5, rate: 16000 });
  const url = `data:audio/wav;base64,${wav.toString('base64')}`;
  const m = await probeDataUrl(url.slice(0, 1000), url.length);
  t.is(m!.format, 'wav');
  t.true(Math.abs(m!.durationS! - 3.5) < 0.001);
});

test('not audio, truncated or random bytes: undefined or partial, never a throw', async (t) => {
  t.is(await probeAudio(Buffer.from('hello world, not audio'), 22), undefined);
  const mp3 = encode('mp3', ['-c:a', 'libmp3lame'], 1);
  const m = await probeAudio(mp3.subarray(0, 10), mp3.length);
  t.is(m?.format, 'mp3');
  await t.notThrowsAsync(probeAudio(Buffer.from([0xff, 0xfb, 0, 0, 1, 2, 3]), 7));
});
