import test from 'ava';
import { parseWavHeader, wavDurationSeconds } from '../../../proxy/src/audio/wav.js';
import { makeWav } from '../../support/audio.js';

test('3.5 s of 16 kHz mono PCM', (t) => {
  const wav = makeWav({ seconds: 3.5, rate: 16000 });
  const info = parseWavHeader(wav.subarray(0, 1024))!;
  t.is(info.sampleRate, 16000);
  t.is(info.channels, 1);
  t.is(info.codec, 'pcm');
  t.is(wavDurationSeconds(info, wav.length), 3.5);
});

test('a LIST chunk before data is skipped', (t) => {
  const wav = makeWav({ seconds: 1, rate: 22050, channels: 2, listChunk: true });
  const info = parseWavHeader(wav.subarray(0, 4096))!;
  t.is(info.channels, 2);
  t.is(wavDurationSeconds(info, wav.length), 1);
});

test('a lying data size: the duration comes from the bytes that exist', (t) => {
  const wav = makeWav({ seconds: 2, rate: 16000 });
  wav.writeUInt32LE(16000 * 2 * 600, 40); // claims 10 minutes
  t.is(wavDurationSeconds(parseWavHeader(wav)!, wav.length), 2);
  wav.writeUInt32LE(0xffffffff, 40); // a streaming writer's "unknown"
  t.is(wavDurationSeconds(parseWavHeader(wav)!, wav.length), 2);
});

test('garbage and truncated headers give undefined, never throw', (t) => {
  t.is(parseWavHeader(Buffer.from('RIFF....WAVEfmt ')), undefined);
  t.is(parseWavHeader(Buffer.alloc(100)), undefined);
  const wav = makeWav({ seconds: 1, rate: 8000 });
  wav.writeUInt32LE(0, 24); // sample rate 0
  t.is(parseWavHeader(wav), undefined);
});
