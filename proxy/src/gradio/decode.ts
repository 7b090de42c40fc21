// What Gradio parsers share beside the observer contract (../observer.ts): decoding a
// compressed response as it passes, never touching the original bytes.
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { guardedListener, Site } from '../guard.js';
import { InflateBudget } from './inflate-budget.js';

/**
 * Feeds `sink` the decoded bytes of a response that may be compressed (Gradio 5.36+ compresses
 * some JSON); returns a feeder for the raw chunks. The original bytes are never touched.
 *
 * `wants`: whether the sink still reads. Once it says no (its capture hit a budget), decoding
 * stops and `onEnd` is told at once: a few KiB of gzip can inflate to gigabytes, and inflating
 * them for a sink that reads nothing more was the app's way to keep the proxy busy for nothing.
 * `onEnd` is told once, however the stream ends.
 *
 * Decoding also stops once the output outgrows the input by the inflate budget
 * (inflate-budget.ts): a sink that measures a long string wants every byte of it. `overBudget`
 * is told first, so the sink can tell a cut from an end.
 */
export function decodingFeeder(
  encoding: string | undefined, sink: (c: Buffer) => void, onEnd: () => void, wants?: () => boolean, overBudget?: () => void,
): { feed(c: Buffer): void; end(): void } {
  const enc = (encoding ?? '').trim().toLowerCase();
  let z: Transform | undefined;
  if (enc === 'gzip' || enc === 'x-gzip') z = createGunzip();
  else if (enc === 'br') z = createBrotliDecompress();
  else if (enc === 'deflate') z = createInflate();
  else if (enc !== '' && enc !== 'identity') return { feed: () => undefined, end: onEnd };
  if (!z) return { feed: sink, end: onEnd };
  const dec = z;
  const budget = new InflateBudget();
  let ended = false;
  const endOnce = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  // Whether decoding is over: ended, or just now stopped because the sink reads no more (then
  // destroyed without an error: zlib drops what it has not inflated yet and emits only 'close').
  const over = (): boolean => {
    if (ended) return true;
    if (!wants || wants()) return false;
    dec.destroy();
    endOnce();
    return true;
  };
  const decoded = (c: Buffer) => {
    if (over()) return;
    if (budget.gave(c.length)) return void sink(c);
    dec.destroy();
    overBudget?.();
    endOnce();
  };
  // These run from zlib's callbacks, outside any hook of the byte path: guarded here. The 'error'
  // listener must exist (an unheard 'error' throws), so it is registered before any write.
  guardedListener(dec, 'data', Site.DECODER, decoded);
  guardedListener(dec, 'end', Site.DECODER, endOnce);
  guardedListener(dec, 'error', Site.DECODER, endOnce);
  return {
    feed: (c) => {
      if (over()) return;
      budget.took(c.length);
      dec.write(c);
    },
    end: () => {
      if (!ended && !dec.writableEnded) dec.end();
    },
  };
}
