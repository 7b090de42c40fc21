// What Gradio parsers share beside the observer contract (../observer.ts): decoding a
// compressed response as it passes, never touching the original bytes.
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { guardedListener, Site } from '../guard.js';

/**
 * Feeds `sink` the decoded bytes of a response that may be compressed (Gradio 5.36+ compresses
 * some JSON); returns a feeder for the raw chunks. The original bytes are never touched.
 */
export function decodingFeeder(encoding: string | undefined, sink: (c: Buffer) => void, onEnd: () => void): { feed(c: Buffer): void; end(): void } {
  const enc = (encoding ?? '').trim().toLowerCase();
  let z: Transform | undefined;
  if (enc === 'gzip' || enc === 'x-gzip') z = createGunzip();
  else if (enc === 'br') z = createBrotliDecompress();
  else if (enc === 'deflate') z = createInflate();
  else if (enc !== '' && enc !== 'identity') return { feed: () => undefined, end: onEnd };
  if (!z) return { feed: sink, end: onEnd };
  const dec = z;
  // These run from zlib's callbacks, outside any hook of the byte path: guarded here. The 'error'
  // listener must exist (an unheard 'error' throws), so it is registered before any write.
  guardedListener(dec, 'data', Site.DECODER, sink);
  guardedListener(dec, 'end', Site.DECODER, onEnd);
  guardedListener(dec, 'error', Site.DECODER, onEnd);
  return { feed: (c) => dec.write(c), end: () => dec.end() };
}
