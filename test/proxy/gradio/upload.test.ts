// Gradio's /upload as the request tee feeds it: a multipart form in arbitrary pieces, a WAV part
// described by its header only, the file name kept nowhere.
import test from 'ava';
import fc from 'fast-check';
import { UploadParser } from '../../../proxy/src/gradio/upload.js';
import { makeWav } from '../../support/audio.js';

const BOUNDARY = '----gradio7f3a';
const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function form(parts: { name: string; filename?: string; type?: string; body: Buffer }[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`), p.body, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

const wav = makeWav({ rate: 16000, channels: 1, seconds: 1.5 });
const body = form([
  { name: 'files', filename: 'secret-name-of-the-speaker.wav', type: 'audio/wav', body: wav },
  { name: 'note', body: Buffer.from('a field, not a file') },
]);

test('property: however the form is cut into pieces, one file part with its audio facts and size', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 12 }), async (cuts) => {
    const p = new UploadParser(headers);
    let at = 0;
    for (const c of [...new Set(cuts)].sort((a, b) => a - b)) { p.feed(body.subarray(at, c)); at = c; }
    p.feed(body.subarray(at));
    p.end();
    const { parts, error } = await p.result;
    t.is(error, undefined);
    t.is(parts.length, 1);
    t.is(parts[0]!.bytes, wav.length);
    t.is(parts[0]!.meta?.sampleRate, 16000);
    t.is(parts[0]!.meta?.channels, 1);
    t.true(Math.abs((parts[0]!.meta?.durationS ?? 0) - 1.5) < 0.01);
    t.false(JSON.stringify(parts).includes('secret'), 'the file name is not kept');
  }), { numRuns: 25 });
});

test('a form cut short ends with invalid_multipart, and the result still resolves', async (t) => {
  const p = new UploadParser(headers);
  p.feed(body.subarray(0, Math.floor(body.length / 2)));
  p.end();
  const { error } = await p.result;
  t.is(error, 'invalid_multipart');
});

test('a request that is not multipart resolves at once with invalid_multipart', async (t) => {
  const p = new UploadParser({ 'content-type': 'application/json' });
  p.feed(Buffer.from('{}'));
  p.end();
  t.deepEqual(await p.result, { parts: [], error: 'invalid_multipart' });
});
