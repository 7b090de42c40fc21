import test from 'ava';
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findOutputFiles, parseHlsPlaylist, probeOutput, WAV_PROBE_BYTES } from '../../../proxy/src/gradio/outputs.js';
import { PROBE_HEAD_BYTES } from '../../../proxy/src/audio/probe.js';
import * as A from '../../../proxy/src/spans/attributes.js';
import { makeWav } from '../../support/audio.js';

test('HLS playlist: sum of #EXTINF and segment count', (t) => {
  const p = parseHlsPlaylist('#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:2.5,\na.aac\n#EXTINF:1.25,\nb.aac\n#EXT-X-ENDLIST\n');
  t.deepEqual(p, { durationS: 3.75, segments: 2, ended: true });
});

test('FileData outputs are found (4.x+ path, 3.x name+is_file, inside updates)', (t) => {
  const files = findOutputFiles([
    { path: 'sh/123/21/playlist.m3u8', is_stream: true, orig_name: 'audio.wav', meta: { _type: 'gradio.FileData' } },
    { name: '/tmp/gradio/x/audio.wav', is_file: true, data: null },
    { __type__: 'update', value: { path: '/tmp/y.mp3', size: 10 } },
    'text', 3,
  ]);
  t.deepEqual(files, [
    { path: 'sh/123/21/playlist.m3u8', isStream: true, size: undefined, extension: 'wav' },
    { path: '/tmp/gradio/x/audio.wav', isStream: false, size: undefined, extension: 'wav' },
    { path: '/tmp/y.mp3', isStream: false, size: 10, extension: 'mp3' },
  ]);
});

// Gradio 4.44.1 answers a range that covers a short file with `content-range: bytes 0-56999/57000`
// but `content-length: 57001` (one byte too many), sends the 57,000 bytes and never ends the
// response (issue 11, defect 1). The probe has every byte: it must use them at once, not wait for
// an end that never comes and then throw them away.
async function overlongServer(file: Buffer, asked: string[]) {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    asked.push(String(req.headers.range));
    open.add(res);
    res.writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes 0-${file.length}/${file.length}`, 'content-length': String(file.length + 1) });
    res.write(file);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    stillOpen: () => [...open].filter((r) => !r.writableEnded && !r.destroyed).length,
    close: () => { server.closeAllConnections(); server.close(); },
  };
}

test('a short file whose answer never ends (Gradio 4.44.1): the probe answers with the bytes it has, while the answer is still open', async (t) => {
  // 16 KB, under the probe's first range for a WAV: the range covers the whole file, the case
  // 4.44.1 answers wrongly.
  const wav = makeWav({ seconds: 1, rate: 8000 });
  const asked: string[] = [];
  const app = await overlongServer(wav, asked);
  try {
    // A timeout far beyond the test's own: only bytes in hand can answer in time.
    const r = await probeOutput({ path: '/tmp/gradio/x/audio.wav', isStream: false, size: wav.length, extension: 'wav' }, { upstream: app.url, apiPrefix: '', headers: {}, timeoutMs: 600_000 });
    t.is(app.stillOpen(), 1, 'the app had not ended its answer');
    t.is(r?.attributes[A.ATTR_AUDIO_OUTPUT_DURATION_S], 1);
    t.is(r?.durationS, 1);
    // FileData.size known: the range asks for no more than the file.
    t.deepEqual(asked, [`bytes=0-${wav.length - 1}`]);
  } finally {
    app.close();
  }
});

// Every completed prediction with an audio output costs the app one probe. A probe that closed
// its connection after every answer made the proxy open a connection per prediction: a connect
// and a close on both sides, and a TIME_WAIT socket per prediction on the proxy's host.
async function rangeServer(file: Buffer, ignoresRange = false) {
  let connections = 0;
  const server = createServer((req, res) => {
    if (ignoresRange) {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': String(file.length) });
      res.end(file);
      return;
    }
    const m = /^bytes=0-(\d+)$/.exec(String(req.headers.range));
    const end = Math.min(file.length - 1, m ? Number(m[1]) : file.length - 1);
    res.writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes 0-${end}/${file.length}`, 'content-length': String(end + 1) });
    res.end(file.subarray(0, end + 1));
  });
  server.on('connection', () => { connections += 1; });
  // Never closed for idleness while a test runs, however slow the machine: a new connection is the probe's doing.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    server,
    connections: () => connections,
    close: () => { server.closeAllConnections(); server.close(); },
  };
}

test('a probe whose answer ends leaves its connection to the app for the next one; one cut short closes it', async (t) => {
  const wav = makeWav({ seconds: 1, rate: 22050 });
  const app = await rangeServer(wav);
  const agent = new Agent({ keepAlive: true });
  try {
    // A range the app answers exactly: each answer ends with the range's last byte.
    for (let i = 0; i < 3; i++) {
      const r = await probeOutput({ path: '/tmp/gradio/x/audio.wav', isStream: false, size: wav.length, extension: 'wav' }, { upstream: app.url, apiPrefix: '', headers: {}, timeoutMs: 3000, agent });
      t.is(r?.durationS, 1);
    }
    t.is(app.connections(), 1, 'three probes, one connection');
    // An app that ignores the range sends the whole file: the bytes past the head are not
    // wanted, and a connection with an answer still arriving on it can never be used again.
    const long = makeWav({ seconds: 10, rate: 22050 });
    const big = await rangeServer(long, true);
    try {
      for (let i = 0; i < 2; i++) {
        const r = await probeOutput({ path: '/tmp/gradio/x/long.wav', isStream: false, extension: 'wav' }, { upstream: big.url, apiPrefix: '', headers: {}, timeoutMs: 3000, agent });
        t.is(r?.durationS, 10);
      }
      t.is(big.connections(), 2, 'each answer cut short closed its connection');
    } finally {
      big.close();
    }
  } finally {
    agent.destroy();
    app.close();
  }
});

// A WAV's duration needs its header, which is in its first few hundred bytes; reading 256 KiB of
// every output cost the app a 256 KiB read and the proxy a 256 KiB buffer per prediction (the
// bench's prediction payload: a probe made up two thirds of the proxy's CPU per prediction).
async function rangesAsked(file: Buffer, output: Omit<Parameters<typeof probeOutput>[0], 'path' | 'isStream'>) {
  const app = await rangeServer(file);
  const asked: string[] = [];
  app.server.on('request', (req: IncomingMessage) => asked.push(String(req.headers.range)));
  try {
    const r = await probeOutput({ path: '/tmp/gradio/x/out', isStream: false, ...output }, { upstream: app.url, apiPrefix: '', headers: {}, timeoutMs: 3000 });
    return { r, asked };
  } finally {
    app.close();
  }
}

test('a WAV output is probed with a small range: its header, not the first 256 KiB', async (t) => {
  const wav = makeWav({ seconds: 10, rate: 22050 });
  for (const output of [{ size: wav.length, extension: 'wav' }, { extension: 'wav' }, {}]) {
    const { r, asked } = await rangesAsked(wav, output);
    t.is(r?.durationS, 10, JSON.stringify(output));
    t.deepEqual(asked, [`bytes=0-${WAV_PROBE_BYTES - 1}`], JSON.stringify(output));
  }
});

test('a WAV whose header ends past the small range is asked again for the whole head', async (t) => {
  const wav = makeWav({ seconds: 10, rate: 22050, junkBytes: 40_000 });
  const { r, asked } = await rangesAsked(wav, { size: wav.length, extension: 'wav' });
  t.is(r?.durationS, 10);
  t.is(r?.attributes[A.ATTR_AUDIO_OUTPUT_SAMPLE_RATE], 22050);
  t.deepEqual(asked, [`bytes=0-${WAV_PROBE_BYTES - 1}`, `bytes=0-${PROBE_HEAD_BYTES - 1}`]);
});

test('an output named as another format is asked for the whole head at once', async (t) => {
  // Not an MP3 inside: what is asked for follows the name; what is reported follows the bytes.
  const wav = makeWav({ seconds: 10, rate: 22050 });
  const { asked } = await rangesAsked(wav, { size: wav.length, extension: 'mp3' });
  t.deepEqual(asked, [`bytes=0-${PROBE_HEAD_BYTES - 1}`]);
});
