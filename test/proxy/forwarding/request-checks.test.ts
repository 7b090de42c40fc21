import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { RefusalReason, refusalFor } from '../../../proxy/src/forwarding/request-checks.js';

const req = (raw: string[], over: Partial<{ url: string; httpVersion: string }> = {}) =>
  ({ rawHeaders: raw, url: over.url ?? '/', httpVersion: over.httpVersion ?? '1.1' }) as unknown as IncomingMessage;

test('a plain request passes', (t) => {
  t.is(refusalFor(req(['Host', 'a', 'Transfer-Encoding', 'chunked'])), undefined);
  t.is(refusalFor(req(['host', 'a', 'Transfer-Encoding', ' Chunked '])), undefined);
});

test('two Host fields, in any case: 400', (t) => {
  t.is(refusalFor(req(['Host', 'a', 'HOST', 'a']))?.reason, RefusalReason.DUPLICATE_HOST);
  t.is(refusalFor(req(['Host', 'a', 'HOST', 'a']))?.status, 400);
});

test('the asterisk-form target: 400', (t) => {
  t.is(refusalFor(req(['Host', 'a'], { url: '*' }))?.reason, RefusalReason.ASTERISK_FORM);
});

test('codings other than chunked alone: 501, across field lines', (t) => {
  for (const raw of [['Transfer-Encoding', 'identity, chunked'], ['Transfer-Encoding', 'gzip'], ['Transfer-Encoding', 'gzip', 'transfer-encoding', 'chunked'], ['Transfer-Encoding', 'chunked,chunked']]) {
    const r = refusalFor(req(['Host', 'a', ...raw]));
    t.is(r?.status, 501, raw.join(' '));
    t.is(r?.reason, RefusalReason.TRANSFER_CODING);
  }
});

test('Transfer-Encoding on HTTP/1.0: 400', (t) => {
  t.is(refusalFor(req(['Host', 'a', 'Transfer-Encoding', 'chunked'], { httpVersion: '1.0' }))?.reason, RefusalReason.TRANSFER_ENCODING_HTTP10);
});
